"""The public side's mail: the receipt after an upload, the student's reminder that a
committed file has not come, and the examiner's notice the day before files are deleted.
Queued through the examiner side's outbox (students.mail); the tasks (submissions.tasks)
send them."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from students import mail, outbox, times
from students.models import Exam, Mail
from submissions import receipts
from submissions.models import Commitment, Submission, receipt_key, receipt_submission_id

log = logging.getLogger(__name__)


def receipt_context(submission):
    """What the receipt says; called in the language it is written in."""
    student = submission.student
    exam = student.exam
    zone = exam.zone
    return {
        "exam": exam,
        "student": student,
        "submission": submission,
        "size": mail.file_size(submission.size),
        "accepted": mail.format_time(submission.accepted_at, zone),
        "kept_until": times.kept_until(submission, lambda at: mail.format_time(at, zone)),
        "late": mail.duration(submission.late_by) if submission.late_by is not None else "",
        "receipt_url": settings.SITE_URL
        + reverse("submissions:receipt", args=[student.upload_code, submission.verification_code]),
        "verify_url": settings.SITE_URL + reverse("submissions:verify"),
        "checker_url": settings.SITE_URL + reverse("submissions:checker"),
        "receipt_file": receipts.filename(submission) if submission.receipt_jws else "",
    }


RECEIPT_TEMPLATE = "submissions/mail/receipt"


def with_expiry(submission_id):
    return (
        Submission.objects.with_expiry()
        .select_related("student__exam")
        .filter(pk=submission_id)
        .first()
    )


@mail.renders(Mail.Kind.RECEIPT)
def render_receipt(receipt_mail):
    """Write a receipt queued with its upload, now, in its language (the outbox stores it
    with the outcome of the try)."""
    submission = with_expiry(receipt_submission_id(receipt_mail))
    if submission is None:
        raise outbox.Permanent("The upload this receipt was for has been removed.")
    receipt_mail.subject, receipt_mail.text, receipt_mail.html = mail.write(
        RECEIPT_TEMPLATE, lambda: receipt_context(submission), receipt_mail.language
    )
    if submission.receipt_jws:  # the signed receipt, attached as the page offers it
        receipt_mail.attachment_name = receipts.filename(submission)
        receipt_mail.attachment = receipts.receipt_json(submission)


def receipt(submission):
    """Queue the receipt mail of `submission`, written now (once: its key is the
    submission). For an upload recorded before receipts were queued with their uploads."""
    student = submission.student
    return mail.queue(
        receipt_key(submission.pk),
        Mail.Kind.RECEIPT,
        student.email,
        RECEIPT_TEMPLATE,
        lambda: receipt_context(submission),
        lang=submission.language or mail.language(student),
        exam=student.exam,
        student=student,
        attachment_name=receipts.filename(submission) if submission.receipt_jws else "",
        attachment=receipts.receipt_json(submission),
    )


# --- A committed file that has not come ----------------------------------------------------

DELIVERY_REMINDER_TEMPLATE = "submissions/mail/delivery_reminder"
DELIVERY_REMINDER_KEY = "delivery-reminder:"
FINGERPRINT_SHOWN = 16  # hex digits of the SHA-256: enough to tell two files apart by eye


def queue_delivery_reminders(now=None):
    """Remind each student whose committed file has not come, when its window is about to
    end (Commitment.remind_at), once per commitment: noted on it by a conditional update in
    the same transaction as the mail's row, which the worker writes as it sends it. Only
    students with an address. Returns how many were queued; the caller wakes the worker."""
    now = now or timezone.now()
    count = 0
    for commitment in Commitment.objects.reminder_due(now):
        student = commitment.student
        with transaction.atomic():
            if not commitment.mark_reminded(now):
                continue  # another worker's clock got there first, or the file came
            Mail.objects.create(
                key=f"{DELIVERY_REMINDER_KEY}{commitment.pk}",
                kind=Mail.Kind.DELIVERY_REMINDER,
                to=student.email,
                # The language the student committed in (the page they were on), as the
                # receipt is written in the upload's.
                language=commitment.language or mail.language(student),
                exam=student.exam,
                student=student,
            )
        count += 1
    return count


def delivery_reminder_context(commitment):
    """What the reminder says; called in the language it is written in."""
    student = commitment.student
    zone = student.exam.zone
    return {
        "exam": student.exam,
        "student": student,
        "commitment": commitment,
        "size": mail.file_size(commitment.size),
        "fingerprint": commitment.sha256[:FINGERPRINT_SHOWN],
        "committed": mail.format_time(commitment.committed_at, zone),
        "deliver_by": mail.format_time(commitment.deliver_by, zone),
        "link": mail.upload_link(student),
    }


@mail.renders(Mail.Kind.DELIVERY_REMINDER)
def render_delivery_reminder(reminder_mail):
    """Write a reminder queued by the clock, now, in its language; not sent (a permanent
    failure saying why) once the file has come or its time has ended."""
    pk = int(reminder_mail.key.removeprefix(DELIVERY_REMINDER_KEY))
    commitment = Commitment.objects.select_related("student__exam").filter(pk=pk).first()
    if commitment is None:
        raise outbox.Permanent("The upload this reminder was for has been removed.")
    if not commitment.is_deliverable():
        raise outbox.Permanent(
            f"Not sent: the file's commitment is {commitment.state} "
            "(its file came, or its time ended) before the reminder went out."
        )
    reminder_mail.subject, reminder_mail.text, reminder_mail.html = mail.write(
        DELIVERY_REMINDER_TEMPLATE,
        lambda: delivery_reminder_context(commitment),
        reminder_mail.language,
    )


def queue_deletion_notices(now=None):
    """The day before an exam's first files are deleted, tell its examiner (if they asked):
    how many files go, when, and the link to download them all first. Once per exam and day."""
    now = now or timezone.now()
    soon = Submission.objects.current().with_file().expired(now + timedelta(days=1))
    soon = soon.exclude(pk__in=Submission.objects.expired(now).values("pk"))
    exams = Exam.objects.filter(
        mail__notify_deletion=True, students__submissions__in=soon
    ).select_related("owner")
    count = 0
    for exam in exams.distinct():
        if not exam.owner.email:
            continue
        files = soon.filter(student__exam=exam).order_by("expires_at")
        first = files.first()
        zone = exam.zone
        context = {
            "exam": exam,
            "file_count": files.count(),
            "first_deletion": mail.format_time(first.expires_at, zone),
            "zip_url": settings.SITE_URL + reverse("students:exam_zip", args=[exam.pk]),
            "exam_url": settings.SITE_URL + exam.get_absolute_url(),
        }
        key = f"deletion:{exam.pk}:{timezone.localdate(first.expires_at, zone).isoformat()}"
        if mail.queue(
            key,
            Mail.Kind.DELETION_SOON,
            exam.owner.email,
            "submissions/mail/deletion_soon",
            context,
            lang=mail.language(exam),
            exam=exam,
        ):
            count += 1
    return count

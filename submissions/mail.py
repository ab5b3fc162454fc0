"""The public side's mail: the receipt after an upload, and the examiner's notice the day
before files are deleted. Queued through the examiner side's outbox (students.mail); the
tasks (submissions.tasks) send them."""

import logging
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from students import mail, outbox, times
from students.models import Exam, Mail
from submissions import receipts
from submissions.models import Submission, receipt_key, receipt_submission_id

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

"""The public side's mail: the receipt after an upload, and the examiner's notice the day
before files are deleted. Queued through the examiner side's outbox (students.mail); the
tasks (submissions.tasks) send them."""

import logging
from datetime import timedelta

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation

from students import mail, times
from students.models import Exam, Mail
from submissions.models import Submission

log = logging.getLogger(__name__)


def receipt(submission):
    """Queue the receipt mail of `submission` (once: its key is the submission)."""
    student = submission.student
    exam = student.exam
    zone = exam.zone
    lang = submission.language or mail.language(student)
    with translation.override(lang):  # sizes, times and sentences in the mail's language
        context = {
            "exam": exam,
            "student": student,
            "submission": submission,
            "size": filesizeformat(submission.size),
            "accepted": mail.format_time(submission.accepted_at, zone),
            "kept_until": times.kept_until(submission, lambda at: mail.format_time(at, zone)),
            "late": times.duration(submission.late_by) if submission.late_by is not None else "",
            "receipt_url": settings.SITE_URL
            + reverse(
                "submissions:receipt", args=[student.upload_code, submission.verification_code]
            ),
            "verify_url": settings.SITE_URL + reverse("submissions:verify"),
        }
    return mail.queue(
        f"receipt:{submission.pk}",
        Mail.Kind.RECEIPT,
        student.email,
        "submissions/mail/receipt",
        context,
        lang=lang,
        exam=exam,
        student=student,
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

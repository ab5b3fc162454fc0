"""Background work of the public side, run by `manage.py worker`."""

from django_tasks import task

from students import clock, outbox
from students.models import Mail
from students.tasks import schedule_delivery
from submissions import mail
from submissions.models import Submission


@task()
def send_receipt(submission_id):
    """Write and send the receipt of one upload. Run twice, it finds its mail made and
    sent, and sends nothing; the outcome is the Mail row on the student's page."""
    submission = (
        Submission.objects.with_expiry()
        .select_related("student__exam")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not submission.student.email:
        return "no address"
    mail.receipt(submission)
    sent, later = outbox.deliver(Mail.objects.filter(key=f"receipt:{submission.pk}"))
    if later:
        schedule_delivery(later)
    return sent


@clock.every_minute
def deletion_notices():
    mail.queue_deletion_notices()

"""Background work of the public side, run by `manage.py worker`."""

from django_tasks import task

from students import clock, outbox
from students import mail as student_mail
from students.models import Mail
from students.tasks import schedule_delivery
from submissions import mail
from submissions.models import receipt_key


@task()
def send_receipt(submission_id):
    """Write and send the receipt of one upload, queued with the upload. Run twice, it finds
    its mail sent, and sends nothing; if its worker dies meanwhile, the mail is still queued
    (or leased), and the clock's resume_delivery sends it. The outcome is the Mail row on
    the student's page."""
    receipts = Mail.objects.filter(key=receipt_key(submission_id))
    if not receipts.exists():  # an upload recorded before receipts were queued with it
        submission = mail.with_expiry(submission_id)
        if submission is None or not submission.student.email:
            return "no address"
        mail.receipt(submission)
    sent, later = outbox.deliver(receipts, render=student_mail.render_mail)
    if later:
        schedule_delivery(later)
    return sent


@clock.every_minute
def deletion_notices():
    mail.queue_deletion_notices()

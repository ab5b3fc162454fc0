"""Background work of the public side, run by `manage.py worker`."""

import logging

from django.db import DatabaseError, transaction
from django_tasks import task

from students import clock, outbox
from students import mail as student_mail
from students.models import Mail
from students.tasks import schedule_delivery, wake_worker
from submissions import mail
from submissions.models import Commitment, receipt_key

log = logging.getLogger(__name__)


def queue_receipt_after_commit(submission):
    """Once the upload's transaction commits, leave the receipt to the worker. Never for a
    student without an address, and never at the upload's expense: a failure is logged."""
    if not submission.student.email:
        return

    def enqueue():
        try:
            send_receipt.enqueue(submission.pk)
        except DatabaseError:
            log.exception("Could not queue the receipt of submission %s", submission.pk)

    transaction.on_commit(enqueue)


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


@clock.every_hour
def purge_expired():
    """Files past their retention, then objects no submission owns, in that order."""
    clock.run_command("purge_expired")
    clock.run_command("reconcile_storage", delete=True)


@clock.every_hour
def purge_code_misses():
    clock.run_command("purge_code_misses")


@clock.every_minute
def deletion_notices():
    if mail.queue_deletion_notices():
        wake_worker()


@clock.every_minute
def expire_commitments():
    """Two-step uploads whose window ended without their file: closed, and whatever of their
    bytes arrived deleted (a delete that fails is reconcile_storage's). Idempotent: each
    closes once, whichever worker (or completion) gets there first."""
    expired = Commitment.objects.expire_overdue()
    if expired:
        log.info("Expired %s commitments whose file never came", expired)


@clock.every_minute
def delivery_reminders():
    if mail.queue_delivery_reminders():
        wake_worker()

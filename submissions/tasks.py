"""Background work of the public side, run by `manage.py worker`."""

import logging

from django.db import DatabaseError, transaction
from django_tasks import task

from students import clock, outbox
from students.models import Mail
from students.tasks import schedule_delivery, wake_worker
from submissions import mail
from submissions.models import Submission

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

"""One log line per upload outcome, accepted or refused, with the reason for a refusal.

Every outcome already writes its audit event (submissions.Event), so the line is written
as that event is saved; the line carries ids, never a code or the file's name."""

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver

from submissions.models import Event

log = logging.getLogger("submissions.uploads")

OUTCOMES = {Event.Kind.UPLOAD_ACCEPTED: "accepted", Event.Kind.UPLOAD_REFUSED: "refused"}


@receiver(post_save, sender=Event, dispatch_uid="submissions.logs.upload_outcome")
def upload_outcome(sender, instance, created, **kwargs):
    outcome = OUTCOMES.get(instance.kind)
    if not created or outcome is None:
        return
    fields = {
        "outcome": outcome,
        "student_id": instance.student_id,
        "submission_id": instance.submission_id,
    }
    if outcome == "refused":
        fields["reason"] = instance.detail
    log.info("upload %s", outcome, extra=fields)

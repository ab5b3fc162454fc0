"""The mail outbox's tables: a Mailing (upload links or a reminder, sent to some of an
exam's students at one click) and its Mails, one row per message that a worker takes, sends
once and marks (students.outbox). App label `students`, as before they had a module of
their own; students.models imports them."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from students.models import Exam, Student, new_message_id


class Mailing(models.Model):
    """Upload links or a reminder, sent to some of an exam's students at one click."""

    class Kind(models.TextChoices):
        LINK = "link", _("Upload link")
        REMINDER = "reminder", _("Reminder")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="mailings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Set for the automatic reminder: one per exam and deadline, whichever worker gets there.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.exam}"


class MailQuerySet(models.QuerySet):
    def due(self, now=None):
        """Mails a worker may take now: queued and due, or taken by a worker that died."""
        now = now or timezone.now()
        return self.filter(
            Q(state=Mail.State.QUEUED, next_attempt_at__lte=now)
            | Q(state=Mail.State.SENDING, lease_until__lt=now)
        )

    def progress(self):
        """Sent, failed and waiting, in one query."""
        return self.aggregate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(state=Mail.State.SENT)),
            failed=Count("pk", filter=Q(state=Mail.State.FAILED)),
            waiting=Count("pk", filter=Q(state__in=[Mail.State.QUEUED, Mail.State.SENDING])),
        )


class Mail(models.Model):
    """One message to one address: the outbox row a worker takes, sends once, and marks.
    `key` names the event it is for, so an event never makes a second mail."""

    class Kind(models.TextChoices):
        LINK = "link", _("Upload link")
        REMINDER = "reminder", _("Reminder")
        RECEIPT = "receipt", _("Receipt")
        DEADLINE_PASSED = "deadline_passed", _("Deadline passed")
        DELETION_SOON = "deletion_soon", _("Files deleted tomorrow")
        PASSWORD_RESET = "password_reset", _("Password reset")
        INVITATION = "invitation", _("Invitation")
        EXTENSION = "extension", _("Deadline extension")
        EXTRA_UPLOADS = "extra_uploads", _("Extra uploads")
        SHARED = "shared", _("Exam shared")
        # A two-step upload's committed file has not come, and its window ends soon.
        DELIVERY_REMINDER = "delivery_reminder", _("Committed file not arrived")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mailing = models.ForeignKey(
        Mailing, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    exam = models.ForeignKey(
        Exam, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    student = models.ForeignKey(
        Student, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    to = models.EmailField()
    language = models.CharField(max_length=16, default=settings.LANGUAGE_CODE)
    # Written by the worker before the first try (mailings), or when the row is made.
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    # One text file sent with the mail (a receipt mail's signed receipt); empty: none. The
    # database's default too, for the mailings' INSERT … SELECT, which leaves them out.
    attachment_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    attachment = models.TextField(blank=True, default="", db_default="")
    message_id = models.CharField(max_length=200, default=new_message_id)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="mail_due"),
            models.Index(fields=["student", "-created_at"], name="mail_last_per_student"),
            models.Index(fields=["last_attempt_at"], name="mail_rate_window"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(attempts__lte=3), name="mail_at_most_3_attempts"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to} ({self.state})"

    def is_rendered(self):
        return bool(self.subject)

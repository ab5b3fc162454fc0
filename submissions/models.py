import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from submissions import codes


def submission_key(instance=None, filename=None):
    """A random storage key: never built from anything the student sent."""
    return f"submissions/{secrets.token_hex(16)}"


def retention():
    return timedelta(days=settings.SUBMISSION_RETENTION_DAYS)


class UploadsExhausted(Exception):
    """The student has no uploads left, or the exam closed, by the time the row is locked."""


class SubmissionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)

    def with_file(self):
        return self.filter(file_deleted_at__isnull=True)

    def expired(self, now=None):
        return self.with_file().filter(accepted_at__lte=(now or timezone.now()) - retention())

    def record(
        self,
        student,
        *,
        key,
        original_name,
        size,
        sha256,
        content_type,
        md5="",
        form_token=None,
        at=None,
    ):
        """
        Record an upload whose file is already stored under `key`: lock the student, check
        the rules again under the lock, supersede the current submission and count the upload.
        Returns (new submission, the submission it superseded or None). The rules are checked
        as of `at` (when the upload started; default now); it is accepted now.
        """
        from students.models import Student

        now = timezone.now()
        with transaction.atomic():
            # of=("self",): lock the student's row only. A bare FOR UPDATE would lock the
            # joined exam row as well, and queue every upload of the exam behind each other.
            locked = (
                Student.objects.select_for_update(of=("self",))
                .select_related("exam")
                .get(pk=student.pk)
            )
            if not locked.can_upload(at or now):
                raise UploadsExhausted
            previous = (
                self.select_for_update().filter(student=locked).current().first()
                if locked.uploads_used  # only recorded uploads add to it: none before the first
                else None
            )
            if previous:
                previous.superseded_at = now
                previous.save(update_fields=["superseded_at"])
                Event.log(locked, Event.Kind.SUPERSEDED, previous, previous.original_name)
            submission = self.create(
                student=locked,
                file=key,
                original_name=original_name,
                size=size,
                sha256=sha256,
                md5=md5,
                content_type=content_type,
                form_token=form_token,
                accepted_at=now,
            )
            Student.objects.filter(pk=locked.pk).update(uploads_used=F("uploads_used") + 1)
            Event.log(
                locked,
                Event.Kind.UPLOAD_ACCEPTED,
                submission,
                f"{original_name}, {size} bytes (upload {locked.uploads_used + 1} of "
                f"{locked.exam.max_uploads})",
            )
        student.uploads_used = locked.uploads_used + 1
        return submission, previous


class Submission(models.Model):
    student = models.ForeignKey(
        "students.Student", on_delete=models.CASCADE, related_name="submissions"
    )
    file = models.FileField(upload_to=submission_key, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    # The original service's checksum, for its API's clients; empty when not computed
    # (see submissions.uploadhandlers).
    md5 = models.CharField("MD5", max_length=32, blank=True, default="")
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    verification_code = models.CharField(
        max_length=codes.LENGTH, unique=True, default=codes.new_verification_code, editable=False
    )
    # The one-time token of the form that sent this upload: a repeated post is recognised.
    form_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(default=timezone.now, db_index=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_submission_per_student",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.display_code})"

    @property
    def display_code(self):
        return codes.display(self.verification_code)

    @property
    def expires_at(self):
        return self.accepted_at + retention()

    def is_current(self):
        return self.superseded_at is None

    def has_file(self):
        return self.file_deleted_at is None

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at

    def was_purged(self):
        """The file went under the retention policy, not because a later upload replaced it."""
        return self.file_deleted_at is not None and self.superseded_at is None


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class Event(models.Model):
    """One line of a student's append-only audit trail. Never file contents or secrets."""

    class Kind(models.TextChoices):
        UPLOAD_ACCEPTED = "upload_accepted", "Upload accepted"
        UPLOAD_REFUSED = "upload_refused", "Upload refused"
        RECEIPT_VIEWED = "receipt_viewed", "Receipt viewed"
        LOOKUP = "lookup", "Verification lookup"
        DOWNLOAD = "download", "Download"
        SUPERSEDED = "superseded", "File superseded"
        PURGED = "purged", "File purged"
        LINK_CHANGED = "link_changed", "Upload link changed"

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="events")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

    @classmethod
    def log(cls, student, kind, submission=None, detail=""):
        return cls.objects.create(
            student_id=student.pk, submission=submission, kind=kind, detail=detail[:300]
        )

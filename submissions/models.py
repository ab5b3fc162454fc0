import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from students import times
from students.models import Mail, Student
from submissions import codes, receipts, storage

log = logging.getLogger(__name__)


def submission_key(instance=None, filename=None):
    """A random storage key: never built from anything the student sent."""
    return f"submissions/{secrets.token_hex(16)}"


def _student_uploads_end(prefix):
    """SQL for a student's last moment of uploads by the exam's times: the cut-off, else the
    due time, each moved by the student's extension (as Student.uploads_end())."""
    due, cutoff = F(f"{prefix}exam__closes_at"), F(f"{prefix}exam__cutoff_at")
    extension = F(f"{prefix}extended_until")
    extended = Q(**{f"{prefix}extended_until__gt": due})
    no_cutoff = Q(**{f"{prefix}exam__cutoff_at__isnull": True})
    return Case(
        When(no_cutoff & extended, then=extension),
        When(no_cutoff, then=due),
        When(extended, then=extension + (cutoff - due)),
        default=cutoff,
        output_field=models.DateTimeField(),
    )


class _Greatest(Greatest):
    """GREATEST that skips NULLs on every database. PostgreSQL's does; SQLite's MAX() would
    return NULL, so there each value is coalesced with the others. Written once on
    PostgreSQL, the expiry rule (which nests it twice) is a quarter of the SQL, and the
    exam page, which builds it on every view, builds it that much faster."""

    def as_sqlite(self, compiler, connection, **extra_context):
        values = self.get_source_expressions()
        coalesced = self.copy()
        coalesced.set_source_expressions(
            [Coalesce(value, *others) for value, *others in _rotations(values)]
        )
        return super(_Greatest, coalesced).as_sqlite(compiler, connection, **extra_context)


def _greatest(*values):
    return _Greatest(*values)


def _rotations(values):
    return [values[i:] + values[:i] for i in range(len(values))]


def collection_starts(prefix="student__"):
    """
    SQL for when the examiner can first collect a student's files: the moment the exam
    stops taking that student's uploads. Closed by hand: when it was closed. Otherwise the
    student's end by the exam's times, or, if the examiner last handed the exam back to its
    times after that end, that moment. NULL while no end is known (no due time, or open by
    hand).
    """
    exam = f"{prefix}exam__"
    return Case(
        When(**{f"{exam}manual_state": "closed"}, then=F(f"{exam}closed_at")),
        When(**{f"{exam}manual_state": "open"}, then=Value(None)),
        default=_greatest(_student_uploads_end(prefix), F(f"{exam}closed_at")),
        output_field=models.DateTimeField(),
    )


class UploadsExhausted(Exception):
    """The student has no uploads left, or the exam closed, by the time the row is locked."""


class CommitmentClosed(Exception):
    """The commitment an upload completes is no longer open (replaced, expired or done)."""


class TokenTaken(Exception):
    """A commitment's token (the page's form token, a script's idempotency key) was used
    before for another file."""


class SubmissionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)

    def with_file(self):
        return self.filter(file_deleted_at__isnull=True)

    def missing_from_storage(self):
        """Current files a look at the storage (a ZIP download) found gone."""
        return self.current().with_file().filter(file_missing_since__isnull=False)

    def note_storage_check(self, missing, present):
        """Record what a look at the storage found: the submissions (pks) in `missing` have no
        stored file (since now, unless known before), those in `present` have theirs."""
        self.filter(pk__in=missing, file_missing_since=None).update(
            file_missing_since=timezone.now()
        )
        self.filter(pk__in=present).exclude(file_missing_since=None).update(file_missing_since=None)

    def with_expiry(self):
        """Annotates `expires_at`, the one rule for when a file is deleted: the exam's
        retention days after the later of its upload and the moment the examiner could
        collect it (collection_starts). Open-ended exams (no due time) count from the upload;
        an exam opened by hand keeps its files (NULL) until it closes again. Every page, the
        exports and purge_expired read this."""
        days = ExpressionWrapper(
            # (as a plain integer: SQLite multiplies a duration by IntegerField only)
            ExpressionWrapper(F("student__exam__retention_days"), output_field=IntegerField())
            * Value(timedelta(days=1)),
            output_field=DurationField(),
        )
        kept_from = _greatest(F("accepted_at"), collection_starts())
        waiting = Q(student__exam__manual_state="open", student__exam__closes_at__isnull=False)
        return self.annotate(
            expires_at=Case(
                When(waiting, then=Value(None)),
                default=ExpressionWrapper(kept_from + days, output_field=models.DateTimeField()),
                output_field=models.DateTimeField(),
            )
        )

    def deletion_schedule(self):
        """When the stored files go, soonest first: [{"expires_at": …, "files": n}, …]."""
        return (
            self.current()
            .with_file()
            .with_expiry()
            .exclude(expires_at=None)
            .values("expires_at")
            .annotate(files=Count("pk"))
            .order_by("expires_at")
        )

    def expired(self, now=None):
        """Files past their expiry, in one query."""
        return self.with_file().with_expiry().filter(expires_at__lte=now or timezone.now())

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
        statement="",
        at=None,
        commitment=None,
    ):
        """
        Record an upload whose file is already stored under `key`: lock the student, check
        the rules again under the lock, supersede the current submission and count the upload.
        Returns (new submission, the submission it superseded or None). The rules are checked
        as of `at` (when the upload started; default now), and so is lateness; it is accepted
        now. `statement` is the exam's submission statement as the student accepted it. The
        upload's receipt is signed here, so no recorded upload is ever without one. A two-step
        upload passes its `commitment`, closed here as delivered in the same transaction
        (CommitmentClosed if it is no longer open), so it completes at most once; any other
        upload closes the student's open commitment made before it started, as replaced.
        """
        now = timezone.now()
        with transaction.atomic():
            locked = Student.objects
            if commitment is None:  # whether a commitment waits, in the same query
                waiting = Commitment.objects.open().filter(student=OuterRef("pk"))
                locked = locked.annotate(commitment_waits=Exists(waiting))
            locked = _lock(locked, student)
            if commitment is None and locked.commitment_waits:
                # A file sent whole replaces a fingerprint committed before it started: that
                # commitment's file can no longer follow and count as of an earlier moment.
                # Whatever of its bytes arrived, reconcile_storage deletes.
                Commitment.objects.filter(
                    student=locked, committed_at__lte=at or now
                ).open().update(state=Commitment.State.REPLACED, closed_at=now)
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
            code, late_by = codes.new_verification_code(), locked.late_by(at or now)
            receipt_jws = receipts.sign_upload(
                student=locked,
                code=code,
                name=original_name,
                size=size,
                sha256=sha256,
                counts_from=at or now,
                recorded_at=now,
                late_by=late_by,
            )
            submission = self.create(
                student=locked,
                verification_code=code,
                receipt_jws=receipt_jws,
                file=key,
                original_name=original_name,
                size=size,
                sha256=sha256,
                md5=md5,
                content_type=content_type,
                form_token=form_token,
                late_by=late_by,
                statement=statement,
                language=translation.get_language() or "",
                accepted_at=now,
            )
            Student.objects.filter(pk=locked.pk).update(uploads_used=F("uploads_used") + 1)
            # A commitment is closed by a conditional update: whoever else closes it (a second
            # completion, the clock expiring it) waits for this transaction and finds it
            # closed, or closed it first, and then this whole transaction is undone.
            if commitment and not commitment.close(
                Commitment.State.DELIVERED, at=now, submission=submission
            ):
                raise CommitmentClosed
            Event.log(locked, Event.Kind.UPLOAD_ACCEPTED, submission, submission.summary(locked))
            if locked.email:
                # The receipt is queued with the upload it is for, so no worker that dies
                # before writing it can lose it: the outbox's lease covers it from here.
                Mail.objects.create(
                    key=receipt_key(submission.pk),
                    kind=Mail.Kind.RECEIPT,
                    to=locked.email,
                    language=submission.language or locked.mail_language(),
                    # No exam: its foreign key would share-lock the exam's row, and an
                    # upload must never wait for another transaction holding it. The
                    # student's (locked above, by this transaction) leads to the exam.
                    student=locked,
                )  # written by the worker as it sends it (submissions.mail.render_receipt)
        student.uploads_used = locked.uploads_used + 1
        return submission, previous


def _lock(students, student):
    """`student`'s row read again and locked for this transaction (the one lock that orders
    a student's uploads and commitments), with the exam as the request read it (`student`'s).
    The exam's row is neither locked nor read again: no lock orders an examiner's edit of
    the exam with an upload, whose rules are judged as of when it started, so reading it
    again would only cost each upload a join of the exam's columns."""
    locked = students.select_for_update().get(pk=student.pk)
    locked.exam = student.exam
    return locked


RECEIPT_KEY = "receipt:"


def receipt_key(submission_id):
    """The receipt mail's outbox key: one receipt per submission."""
    return f"{RECEIPT_KEY}{submission_id}"


def receipt_submission_id(mail):
    return int(mail.key.removeprefix(RECEIPT_KEY))


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
    # How long after the student's due time the upload started (None: on time).
    late_by = models.DurationField(null=True, blank=True)
    # The exam's submission statement as the student accepted it (empty: none asked).
    statement = models.CharField(max_length=300, blank=True)
    # The language the student uploaded in (the request's), which their receipt mail is
    # written in: they just read that page, whatever the examiner set for them.
    language = models.CharField(max_length=16, blank=True, editable=False)
    # The signed statement of this upload (a compact JWS, submissions.receipts): it stays
    # when the file is deleted. Empty for uploads made before receipts were signed.
    receipt_jws = models.TextField(blank=True, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # When a look at the storage found the file gone without the app deleting it (a bucket
    # rule, a deletion by hand): the exam page and every ZIP name it.
    file_missing_since = models.DateTimeField(null=True, blank=True, editable=False)

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

    def is_current(self):
        return self.superseded_at is None

    def has_file(self):
        return self.file_deleted_at is None

    def is_late(self):
        return self.late_by is not None

    def has_signed_receipt(self):
        return bool(self.receipt_jws)

    # The audit trail's events about one submission, logged where they happen.

    def download_url(self, how, by=None):
        """A link to this file for DOWNLOAD_LINK_SECONDS; the download is logged, `how` saying
        how (e.g. "by verification code"), `by` naming the examiner if it was one."""
        Event.log(self.student, Event.Kind.DOWNLOAD, self, how, by=by)
        return storage.download_url(self)

    def log_receipt_viewed(self):
        Event.log(self.student, Event.Kind.RECEIPT_VIEWED, self)

    def mark_purged(self):
        """Its file was deleted because its retention ended: say so, in the audit trail too."""
        with transaction.atomic():
            Submission.objects.filter(pk=self.pk).update(file_deleted_at=timezone.now())
            Event.log(
                self.student,
                Event.Kind.PURGED,
                self,
                f"{self.original_name}: retention period ended",
            )

    def log_lookup(self):
        Event.log(self.student, Event.Kind.LOOKUP, self)

    def summary(self, student):
        """The audit trail's line for this upload: file, size, count, lateness, statement."""
        parts = [
            f"{self.original_name}, {self.size} bytes (upload {student.uploads_used + 1} of "
            f"{student.max_uploads()})"
        ]
        if self.is_late():
            parts.append(f"late by {times.duration(self.late_by)}")
        if self.statement:
            parts.append(f"statement accepted: “{self.statement}”")
        return "; ".join(parts)


# How long before a commitment's window ends its student is reminded that the file has not
# come (if they gave an address): REMIND_BEFORE, or half the window when that is shorter, so
# a short window still leaves time to act on the mail.
REMIND_BEFORE = timedelta(minutes=10)


class CommitmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Commitment.State.OPEN)

    def awaiting(self, now=None):
        """Open commitments still within their delivery window: what the pages and the API
        show as "committed, awaiting the file" (an overdue one is the clock's to expire)."""
        return self.open().filter(deliver_by__gt=now or timezone.now())

    def overdue(self, now=None):
        """Open commitments whose delivery window has ended."""
        return self.open().filter(deliver_by__lte=now or timezone.now())

    def expire_overdue(self, now=None):
        """Expire every overdue commitment (Commitment.expire: closed, its object deleted).
        Safe to run twice, and beside a completion: each closes once. Returns how many
        this call expired."""
        return sum(commitment.expire() for commitment in self.overdue(now))

    def reminder_due(self, now=None):
        """Awaiting commitments of students with an address, not reminded yet, whose
        reminder time (Commitment.remind_at) has come."""
        now = now or timezone.now()
        candidates = (
            self.awaiting(now)
            .filter(reminded_at__isnull=True, deliver_by__lte=now + REMIND_BEFORE)
            .exclude(student__email="")
            .select_related("student__exam")
        )
        return [commitment for commitment in candidates if commitment.remind_at() <= now]

    def commit(self, student, *, token, sha256, size, name, content_type, statement, at):
        """
        Fix the file `student` will deliver, by its fingerprint, as of `at`: the rules are
        checked again under the student's lock (the lock record() takes), and the student's
        open commitment, if any, is replaced (its bytes, if any arrived, are the caller's to
        delete). Returns (commitment, the one it replaced or None). Committing again the
        same file (same token, or same SHA-256 and size while it is open: a retry, a second
        tab, a student who came back) returns the open commitment as it is.

        How commitments count against the upload limit: they do not; a student has at most
        one open commitment (a constraint), and only a completed one is an upload, counted
        by record() under the same lock. So a student can never record more uploads than
        the limit, however many tabs commit and complete at once.
        """
        with transaction.atomic():
            locked = _lock(Student.objects, student)
            # One query: this token's commitment, and the student's open one (at most one).
            found = list(
                self.filter(Q(token=token) | Q(state=Commitment.State.OPEN, student=locked))
            )
            same = next((c for c in found if c.token == token), None)
            if same and (
                same.student_id != locked.pk or (same.sha256, same.size) != (sha256, size)
            ):
                raise TokenTaken
            replaced = next((c for c in found if c.is_open() and c is not same), None)
            again = replaced and (replaced.sha256, replaced.size) == (sha256, size)
            if same is None and again and replaced.is_deliverable(at):
                same = replaced  # the same file again: another tab, or they came back
            if same:
                return same, None
            if not locked.can_upload(at):
                raise UploadsExhausted
            if replaced:
                replaced.close(Commitment.State.REPLACED, at=at)
            commitment = self.create(
                student=locked,
                token=token,
                key=submission_key(),
                original_name=name,
                size=size,
                sha256=sha256,
                content_type=content_type,
                statement=statement,
                language=translation.get_language() or "",
                committed_at=at,
                deliver_by=at + locked.exam.delivery_window(),
            )
        return commitment, replaced


def with_waiting_commitment(students):
    """`students` annotated with `waiting_commitment_pk`: the student's open commitment whose
    bytes may still follow, or None (most students), in the same query as the student."""
    waiting = Commitment.objects.awaiting(Now()).filter(student=OuterRef("pk"))
    return students.annotate(waiting_commitment_pk=Subquery(waiting.order_by().values("pk")[:1]))


class Commitment(models.Model):
    """
    A student's file fixed by its fingerprint before its bytes travel (the two-step upload,
    submissions.uploads): made while uploads are open, it fixes the upload's time, and the
    bytes may follow until `deliver_by`. Completed, it becomes a Submission as of
    `committed_at`; never completed, it expires and its object (if any) is deleted.
    """

    class State(models.TextChoices):
        OPEN = "open", _("awaiting the file")
        DELIVERED = "delivered", _("delivered")
        REPLACED = "replaced", _("replaced by a later file")
        # The rules, as of its time, no longer let it count when its file came: the exam was
        # closed by hand, or the student's uploads were used up meanwhile.
        REFUSED = "refused", _("not counted")
        EXPIRED = "expired", _("expired without the file")

    student = models.ForeignKey(
        "students.Student", on_delete=models.CASCADE, related_name="commitments"
    )
    # The page's form token (the API's idempotency key, scoped to the student): the public
    # name of this commitment in its URLs, and the submission's form_token once delivered.
    token = models.CharField(max_length=64, unique=True)
    # Where the bytes go: a fresh random key, never built from anything the student sent.
    key = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField(max_length=100)
    statement = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=16, blank=True)
    committed_at = models.DateTimeField()
    deliver_by = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the student was told the window is about to close with nothing delivered.
    reminded_at = models.DateTimeField(null=True, blank=True)
    submission = models.OneToOneField(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitment"
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["-committed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(state="open"),
                name="one_open_commitment_per_student",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_state_display()})"

    def is_open(self):
        return self.state == self.State.OPEN

    def is_deliverable(self, now=None):
        """Open, and its delivery window has not ended."""
        return self.is_open() and (now or timezone.now()) < self.deliver_by

    def can_count(self, now=None):
        """Its bytes may still follow and would be recorded: deliverable, and the student's
        uploads as record() judges them as of the commitment (the exam still taking them then,
        an upload left). What the student's page offers to send."""
        return self.is_deliverable(now) and self.student.can_upload(self.committed_at)

    def close(self, state, *, at=None, submission=None):
        """Leave the open state, once (a conditional update): False when it had already
        left it, and then it stays as it was. Delivered, with its `submission`."""
        at = at or timezone.now()
        closed = (
            Commitment.objects.filter(pk=self.pk)
            .open()
            .update(state=state, closed_at=at, submission=submission)
        )
        if closed:
            self.state, self.closed_at, self.submission = state, at, submission
        return bool(closed)

    def remind_at(self):
        """When its student is reminded, if the file has not come: REMIND_BEFORE the window
        ends, or halfway through a window shorter than twice that."""
        return self.deliver_by - min(REMIND_BEFORE, (self.deliver_by - self.committed_at) / 2)

    def mark_reminded(self, at=None):
        """Note the reminder, once (a conditional update): False when it was noted before
        or the commitment is no longer open."""
        at = at or timezone.now()
        marked = Commitment.objects.filter(pk=self.pk, reminded_at__isnull=True).open()
        if marked.update(reminded_at=at):
            self.reminded_at = at
            return True
        return False

    def expire(self):
        """Close it as expired (its window ended undelivered) and delete whatever of its bytes
        arrived; a delete that fails is left to reconcile_storage. False when it had closed."""
        if not self.close(self.State.EXPIRED):
            return False
        try:
            storage.delete(self.key)
        except storage.StorageUnavailable:
            log.exception("Could not delete %s; reconcile_storage will find it", self.key)
        return True


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class Event(models.Model):
    """One line of a student's append-only audit trail. Never file contents or secrets."""

    class Kind(models.TextChoices):
        UPLOAD_ACCEPTED = "upload_accepted", _("Upload accepted")
        UPLOAD_REFUSED = "upload_refused", _("Upload refused")
        RECEIPT_VIEWED = "receipt_viewed", _("Receipt viewed")
        LOOKUP = "lookup", _("Verification lookup")
        DOWNLOAD = "download", _("Download")
        SUPERSEDED = "superseded", _("File superseded")
        PURGED = "purged", _("File purged")
        LINK_CHANGED = "link_changed", _("Upload link changed")
        EXTENSION = "extension", _("Deadline extension")
        EXTRA_UPLOADS = "extra_uploads", _("Extra uploads")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="events")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300, blank=True)
    # The examiner behind an examiner's action; empty for the student's and the system's.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
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
    def log(cls, student, kind, submission=None, detail="", by=None):
        return cls.objects.create(
            student_id=student.pk, submission=submission, kind=kind, detail=detail[:300], by=by
        )


class CodeMissCount(models.Model):
    """Wrong codes from one client network in one throttle window. submissions.throttle
    counts them with one atomic upsert; purge_code_misses deletes windows that have ended."""

    network = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    misses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "window_start"], name="one_miss_count_per_network_and_window"
            )
        ]

    def __str__(self):
        return f"{self.network}: {self.misses} misses from {self.window_start:%Y-%m-%d %H:%M:%S}"

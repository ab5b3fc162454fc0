import functools
import zoneinfo
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students import collation, filetypes, times
from students.codes import new_upload_code


class ExamArchived(PermissionDenied):
    """A change to an archived exam: it is read-only until restored. A PermissionDenied, so
    the dashboard answers 403; the API answers it as a conflict (api/problems.py)."""


def default_max_upload_bytes():
    return settings.SUBMISSION_MAX_UPLOAD_BYTES


def validate_within_hard_limit(value):
    if value > settings.FILE_UPLOAD_HARD_LIMIT:
        raise ValidationError(
            _("The server accepts files up to %(limit)s bytes."),
            params={"limit": settings.FILE_UPLOAD_HARD_LIMIT},
        )


def default_max_uploads():
    return settings.SUBMISSION_MAX_UPLOADS


MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 30
# How long after committing its fingerprint a student may deliver a file's bytes (the
# two-step upload, submissions.uploads): long enough to find another network when the
# connection fails in the last minute, short enough that the examiner collects soon after.
DEFAULT_DELIVERY_MINUTES, MAX_DELIVERY_MINUTES = 30, 24 * 60
MAX_EXTRA_UPLOADS = 50  # as many as an exam may give everyone
NAME_FIELDS = {"first_name", "last_name", "nickname", "email"}


def default_time_zone():
    return settings.TIME_ZONE


def default_retention_days():
    return settings.SUBMISSION_RETENTION_DAYS


def default_language():
    """A new exam's language: the one its examiner is using the site in."""
    return translation.get_language() or settings.LANGUAGE_CODE


def validate_language(value):
    """One of settings.LANGUAGES. Not the field's choices: adding a language to settings
    must not need a migration."""
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(_("“%(value)s” is not a language we offer."), params={"value": value})


# tzdata names that are no place: `localtime` is whatever zone the server's machine is set
# to, and `Factory` a placeholder whose times read "-00".
NOT_PLACES = {"localtime", "Factory"}


@functools.cache
def time_zones():
    """The zones an exam or an examiner may be in: tzdata's places."""
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def validate_time_zone(value):
    if value not in time_zones():
        raise ValidationError(_("“%(value)s” is not a time zone we know."), params={"value": value})


# What an examiner sets on an exam, in the order the exam form asks for it (the pages'
# ExamForm and the API's ApiExamForm). A copy for the next term takes over all of it but
# the times, which start afresh (Exam.COPIED_FIELDS).
EXAM_TIME_FIELDS = ["opens_at", "closes_at", "cutoff_at"]
EXAM_FIELDS = [
    "title",
    "language",
    "time_zone",
    *EXAM_TIME_FIELDS,
    "max_upload_bytes",
    "max_uploads",
    "delivery_minutes",
    "allowed_extensions",
    "retention_days",
    "instructions",
    "contact",
    "statement",
    "blind_review",
]


class ExamQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The exams `user` owns or shares: every other exam does not exist for them."""
        shared = Exam.co_examiners.through.objects.filter(exam=OuterRef("pk"), user=user)
        return self.filter(Q(owner=user) | Exists(shared))

    def active(self):
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


class Exam(models.Model):
    class State(models.TextChoices):
        AUTOMATIC = "", _("Follow the opening and closing times")
        OPEN = "open", _("Open by hand (ignore the times)")
        CLOSED = "closed", _("Closed by hand")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exams"
    )
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(
        _("language"),
        max_length=16,
        default=default_language,
        validators=[validate_language],
        help_text=_("Mails to students go out in this language, unless a student has their own."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("The exam's times are typed and shown in this zone."),
    )
    opens_at = models.DateTimeField(
        _("accept uploads from"),
        null=True,
        blank=True,
        help_text=_("Before this, students see when uploads open. Empty: open at once."),
    )
    closes_at = models.DateTimeField(
        _("due"),
        null=True,
        blank=True,
        help_text=_(
            "Uploads after this are marked late, or refused if there is no cut-off. "
            "Empty: no deadline."
        ),
    )
    cutoff_at = models.DateTimeField(
        _("cut-off"),
        null=True,
        blank=True,
        help_text=_("Optional, after the due time: late uploads are accepted until then."),
    )
    max_upload_bytes = models.PositiveIntegerField(
        _("largest file (bytes)"),
        default=default_max_upload_bytes,
        validators=[MinValueValidator(1024), validate_within_hard_limit],
    )
    max_uploads = models.PositiveSmallIntegerField(
        _("uploads per student"),
        default=default_max_uploads,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    delivery_minutes = models.PositiveSmallIntegerField(
        _("delivery window (minutes)"),
        default=DEFAULT_DELIVERY_MINUTES,
        validators=[MaxValueValidator(MAX_DELIVERY_MINUTES)],
        help_text=_(
            "When a student's upload page has committed their file's fingerprint (its "
            "SHA-256) in time, the file itself may still arrive this many minutes later and "
            "counts as of that moment, so a connection that fails in the last minute does "
            "not make them late. Only that exact file can arrive this way. 0 turns it off: "
            "each file must arrive whole before the deadline."
        ),
    )
    manual_state = models.CharField(
        _("open or closed"),
        max_length=8,
        choices=State.choices,
        default=State.AUTOMATIC,
        blank=True,
    )
    # When the examiner last set the state by hand to anything but "open": the moment
    # uploads stopped (or may have stopped), from which retention counts (see expires_at).
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    allowed_extensions = models.CharField(
        _("allowed file types"),
        max_length=200,
        blank=True,
        help_text=_(
            "Comma-separated extensions, e.g. “pdf, docx”. Leave empty to accept any file."
        ),
    )
    retention_days = models.PositiveSmallIntegerField(
        _("keep files for (days)"),
        default=default_retention_days,
        validators=[MinValueValidator(MIN_RETENTION_DAYS), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text=_(
            "Counted from when uploads close for a student (the cut-off, else the due "
            "time, with any extension, or when you close the exam by hand), so you can always "
            "collect every file first. Without a due time, from each upload. 1 to 30."
        ),
    )
    instructions = models.TextField(
        _("instructions"),
        blank=True,
        help_text=_(
            "Shown to students on their upload page and slips. Line breaks are kept and "
            "links made clickable."
        ),
    )
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("Whom students ask if something goes wrong, e.g. “exams@math.example.edu”."),
    )
    statement = models.CharField(
        _("submission statement"),
        max_length=300,
        blank=True,
        help_text=_(
            "If set, students must tick it to upload, e.g. “I confirm this is my own "
            "work.” Stored with each upload."
        ),
    )
    blind_review = models.BooleanField(
        _("blind review"),
        default=False,
        help_text=_(
            "Hide students' names from the code lookup page and from the readable part of "
            "their signed receipts, so reviewers who hold only verification codes mark "
            "without names."
        ),
    )
    co_examiners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_exams"
    )
    # Archived: out of the exam list and read-only on the dashboard; uploads and retention
    # go on by the exam's times, as before.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExamQuerySet.as_manager()

    # What a copy for the next term takes over; times, state and archiving start afresh.
    COPIED_FIELDS = [name for name in EXAM_FIELDS if name not in EXAM_TIME_FIELDS]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_upload_bytes__gte=1024), name="exam_max_upload_bytes_min"
            ),
            models.CheckConstraint(condition=Q(max_uploads__gte=1), name="exam_max_uploads_min"),
            models.CheckConstraint(
                condition=Q(retention_days__gte=MIN_RETENTION_DAYS)
                & Q(retention_days__lte=MAX_RETENTION_DAYS),
                name="exam_retention_days_range",
            ),
            models.CheckConstraint(
                condition=Q(cutoff_at__isnull=True)
                | Q(closes_at__isnull=False, cutoff_at__gt=F("closes_at")),
                name="exam_cutoff_after_due",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(opens_at__lt=F("closes_at")),
                name="exam_opens_before_due",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("students:exam_detail", args=[self.pk])

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def can_extend_to(self, until):
        """Whether a student's deadline may be moved to `until` (None: taken away): an
        extension ends after the exam's due time."""
        return until is None or self.closes_at is None or until > self.closes_at

    @classmethod
    def new_for(cls, examiner):
        """A new exam of `examiner`'s, in the zone they chose (the site's until they do),
        not saved: the page's form and the API fill in the rest."""
        zone = ExaminerProfile.time_zone_of(examiner) or settings.TIME_ZONE
        return cls(owner=examiner, time_zone=zone)

    def takes_scanned_pages(self):
        """Whether students can hand in photos of paper pages as one PDF: the exam takes
        PDF (or any file)."""
        return filetypes.makes_pdfs(filetypes.parse_extensions(self.allowed_extensions))

    def takes_commitments(self):
        """Whether a student's page may fix a file by its fingerprint first and send its
        bytes afterwards, within the delivery window (0 minutes: it may not)."""
        return self.delivery_minutes > 0

    def delivery_window(self):
        return timedelta(minutes=self.delivery_minutes)

    def has_opened(self, at=None):
        """Past its opening time (or opened by hand): before it, students only see when."""
        if self.manual_state == self.State.OPEN or self.opens_at is None:
            return True
        return (at or timezone.now()) >= self.opens_at

    def is_open(self, at=None, ends=None):
        """Takes uploads now (or `at`): set by hand, or between its opening time and its end
        (the cut-off, else the due time; a student's own end, with an extension, if given)."""
        if self.manual_state:
            return self.manual_state == self.State.OPEN
        if not self.has_opened(at):
            return False
        ends = ends or self.cutoff_at or self.closes_at
        return ends is None or (at or timezone.now()) < ends

    def is_in_late_window(self, at=None):
        """Between the due time and the cut-off, by its times: open, but uploads are late."""
        at = at or timezone.now()
        if self.manual_state or not (self.closes_at and self.cutoff_at):
            return False
        return self.has_opened(at) and self.closes_at <= at < self.cutoff_at

    def set_manual_state(self, state):
        """Open or close the exam by hand, or hand it back to its times (""). Anything but
        "open" may end uploads now, so retention counts from now at the earliest."""
        self.manual_state = self.State(state)
        if self.manual_state != self.State.OPEN:
            self.closed_at = timezone.now()
        self.save(update_fields=["manual_state", "closed_at", "updated_at"])

    def is_archived(self):
        return self.archived_at is not None

    def refuse_if_archived(self):
        """The one rule for every change, on the pages and in the API: an archived exam is
        read-only (uploads go on by its times: they are not a change by an examiner)."""
        if self.is_archived():
            raise ExamArchived(
                gettext("“%(title)s” is archived, so it is read-only. Restore it to change it.")
                % {"title": self.title}
            )
        return self

    def archive(self):
        self.archived_at = timezone.now()
        self.save(update_fields=["archived_at", "updated_at"])

    def restore(self):
        self.archived_at = None
        self.save(update_fields=["archived_at", "updated_at"])

    def duplicate(self, owner, title, with_roster=False):
        """A copy for the next term, owned by `owner`: this exam's settings (and its mail
        words), optionally its roster with new upload codes; never a submission or times."""
        copy = Exam(owner=owner, **{name: getattr(self, name) for name in self.COPIED_FIELDS})
        copy.title = title
        copy.save()
        mail = ExamMail.objects.filter(exam=self).first()
        if mail is not None:
            mail.pk, mail.exam = None, copy
            mail.save()
        if with_roster:
            Student.objects.bulk_create(
                Student(exam=copy, **fields)
                for fields in self.students.values(
                    "nickname", "first_name", "last_name", "email", "language"
                )
            )
        return copy

    def roster_counts(self):
        """Students in total, submitted, not yet submitted, out of uploads, and with a
        committed file still awaited: one query."""
        awaiting = commitment_model().objects.awaiting().filter(student=OuterRef("pk"))
        return self.students.with_current_join().aggregate(
            total=Count("pk"),
            submitted=Count("pk", filter=Q(current__isnull=False)),
            waiting=Count("pk", filter=Q(current__isnull=True)),
            no_uploads_left=Count("pk", filter=OUT_OF_UPLOADS),
            committed=Count("pk", filter=Exists(awaiting)),
        )


# A student out of uploads: the exam's uploads and their own extra ones all used.
OUT_OF_UPLOADS = Q(uploads_used__gte=F("exam__max_uploads") + F("extra_uploads"))


def submission_model():
    """submissions.models.Submission, through the relation it declares on Student:
    submissions depends on students, never the reverse, so the examiner's side imports
    nothing from it and reaches its models only this way."""
    return Student._meta.get_field("submissions").related_model


def event_model():
    """submissions.models.Event, the audit trail's entries, reached as submission_model()."""
    return Student._meta.get_field("events").related_model


def commitment_model():
    """submissions.models.Commitment, a two-step upload's fingerprint committed before its
    file, reached as submission_model()."""
    return Student._meta.get_field("commitments").related_model


class StudentQuerySet(models.QuerySet):
    def _submissions(self):
        return submission_model().objects

    def with_current_submission(self):
        return self.prefetch_related(
            models.Prefetch(
                "submissions",
                queryset=self._submissions().current().with_expiry(),
                to_attr="current_submissions",
            )
        )

    def with_open_commitment(self):
        """Each student's commitment awaiting its file (at most one), in one query for all:
        Student.open_commitment reads it."""
        return self.prefetch_related(
            models.Prefetch(
                "commitments",
                queryset=commitment_model().objects.awaiting(),
                to_attr="open_commitments",
            )
        )

    def with_awaiting_until(self):
        """Each student's awaited commitment's end (`awaiting_until`, None for most), in the
        same query as the students: all the roster's rows show of it (Student.awaiting_note)."""
        awaiting = commitment_model().objects.awaiting().filter(student=models.OuterRef("pk"))
        return self.annotate(
            awaiting_until=models.Subquery(awaiting.order_by().values("deliver_by")[:1])
        )

    def bulk_create(self, objs, *args, **kwargs):
        """As Django's, with each student's keys filled, as save() fills them."""
        objs = list(objs)
        for student in objs:
            student.fill_keys()
        return super().bulk_create(objs, *args, **kwargs)

    def search(self, text):
        """Every word of `text` in the first name, last name, nickname or email, whatever
        the accents and case: "muller" finds Müller, "Lukasiewicz" finds Łukasiewicz."""
        queryset = self
        for word in collation.search_text(text).split():
            queryset = queryset.filter(search_key__contains=word)
        return queryset

    def extend_deadlines(self, until, by=None):
        """Student.extend_deadline for each of these students, in a few queries."""
        detail = times.format_time(until, "long") if until else ""  # the exam's zone, active
        return self._change_each({"extended_until": until}, "extension", detail, by)

    def give_extra_uploads(self, extra, by=None):
        """Student.give_extra_uploads for each of these students, in a few queries."""
        if not 0 <= extra <= MAX_EXTRA_UPLOADS:
            raise ValueError(f"extra uploads must be 0 to {MAX_EXTRA_UPLOADS}, not {extra}")
        detail = f"{extra} extra"
        return self._change_each({"extra_uploads": extra}, "extra_uploads", detail, by)

    def _change_each(self, values, kind, detail, by):
        """Set `values` on these students and log `kind` in each one's audit trail, at once."""
        Event = self.model._meta.get_field("events").related_model
        with transaction.atomic():
            ids = list(self.order_by().values_list("pk", flat=True))
            self.model.objects.filter(pk__in=ids).update(**values)
            Event.objects.bulk_create(
                (Event(student_id=pk, kind=kind, detail=detail, by=by) for pk in ids),
                batch_size=1000,
            )
        return len(ids)

    def _current(self):
        return self._submissions().current().filter(student=OuterRef("pk"))

    def submitted(self):
        return self.filter(Exists(self._current()))

    def not_submitted(self):
        return self.filter(~Exists(self._current()))

    def out_of_uploads(self):
        return self.filter(OUT_OF_UPLOADS)

    def with_current_join(self):
        """Joins each student's current submission (at most one) as `current`: one LEFT JOIN
        instead of a subquery per row, so counting and sorting 10,000 students stays fast."""
        return self.alias(
            current=FilteredRelation(
                "submissions", condition=Q(submissions__superseded_at__isnull=True)
            )
        )

    def with_last_upload(self):
        """Annotates `last_upload_at`: when the current submission was accepted, or None."""
        return self.with_current_join().annotate(last_upload_at=F("current__accepted_at"))


class Student(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="students")
    nickname = models.CharField(
        _("nickname"),
        max_length=64,
        help_text=_("Short and unique within the exam, e.g. a student number."),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        validators=[validate_language],
        help_text=_("Their mails' language. Empty: the exam's."),
    )
    upload_code = models.CharField(max_length=64, unique=True, default=new_upload_code)
    uploads_used = models.PositiveSmallIntegerField(default=0)
    # Given by the examiner on top of the exam's uploads, to this student only.
    extra_uploads = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_EXTRA_UPLOADS)]
    )
    extended_until = models.DateTimeField(
        _("deadline extension"),
        null=True,
        blank=True,
        help_text=_("This student's own deadline, when later than the exam's."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept from the names by fill_keys(): accent- and case-free text to search, and a key
    # that sorts by the alphabet (see students.collation).
    search_key = models.CharField(max_length=600, blank=True, default="", editable=False)
    sort_key = models.CharField(max_length=700, blank=True, default="", editable=False)
    # The nickname as compared for uniqueness within the exam (collation.nickname_key).
    nickname_key = models.CharField(max_length=600, default="", editable=False)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "nickname"]
        indexes = [
            # The roster's default order, so a page of a 10,000-student exam is an index scan.
            models.Index(
                fields=["exam", "last_name", "first_name", "nickname"], name="student_roster_order"
            ),
            models.Index(fields=["exam", "sort_key"], name="student_alphabet_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "nickname_key"], name="unique_nickname_key_per_exam"
            ),
            models.CheckConstraint(
                condition=Q(uploads_used__gte=0), name="uploads_used_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(extra_uploads__gte=0) & Q(extra_uploads__lte=MAX_EXTRA_UPLOADS),
                name="extra_uploads_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.nickname})"

    def save(self, *args, **kwargs):
        self.fill_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & NAME_FIELDS:
            kwargs["update_fields"] = {*update_fields, "search_key", "sort_key", "nickname_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("students:student_detail", args=[self.exam_id, self.pk])

    def get_upload_url(self):
        return reverse("submissions:upload", args=[self.upload_code])

    def fill_keys(self):
        self.search_key, self.sort_key = collation.student_keys(
            self.first_name, self.last_name, self.nickname, self.email
        )
        self.nickname_key = collation.nickname_key(self.nickname)

    def mail_language(self):
        """The language this student's mails are written in: their own, else the exam's."""
        return self.language or self.exam.language

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def name_is_hidden(self):
        """Under blind review the public side names no student: codes only."""
        return self.exam.blind_review

    @property
    def current_submission(self):
        """The live submission, from the roster's prefetch when there is one."""
        if hasattr(self, "current_submissions"):
            return self.current_submissions[0] if self.current_submissions else None
        if not self.uploads_used:  # only a recorded upload adds to it: nothing to look up
            return None
        return self.submissions.current().with_expiry().first()

    @property
    def open_commitment(self):
        """The fingerprint this student's page committed whose file is still awaited (a
        two-step upload within its delivery window), or None; from the roster's prefetch
        (with_open_commitment) when there is one."""
        if hasattr(self, "open_commitments"):
            return self.open_commitments[0] if self.open_commitments else None
        return self.commitments.awaiting().first()

    @functools.cached_property
    def awaiting_note(self):
        """What the roster says of an open commitment, in the active zone and language:
        "Committed, awaiting the file until 8 Dec, 18:30 CET"; empty without one. Made once
        per row, here rather than in the row's template."""
        if hasattr(self, "awaiting_until"):  # the roster's annotation
            until = self.awaiting_until
        else:
            until = self.open_commitment.deliver_by if self.open_commitment else None
        if until is None:
            return ""
        return gettext("Committed, awaiting the file until %(until)s") % {
            "until": times.format_time(until, "short")
        }

    def max_uploads(self):
        """How many uploads this student has: the exam's, and any extra given to them."""
        return self.exam.max_uploads + self.extra_uploads

    def uploads_left(self):
        return max(self.max_uploads() - self.uploads_used, 0)

    def deadline(self):
        """When this student's upload is due: the exam's due time, or their extension when it
        is later. Uploads after it are late (if a cut-off lets them in at all)."""
        closes_at = self.exam.closes_at
        if closes_at and self.extended_until and self.extended_until > closes_at:
            return self.extended_until
        return closes_at

    def cutoff(self):
        """This student's cut-off: the exam's, moved by as much as their extension moves the
        due time, so an extension keeps the same late window."""
        exam = self.exam
        if exam.cutoff_at is None or exam.closes_at is None:
            return None
        return exam.cutoff_at + (self.deadline() - exam.closes_at)

    def uploads_end(self):
        """The last moment this student's uploads are taken, by the exam's times."""
        return self.cutoff() or self.deadline()

    def is_open(self, at=None):
        return self.exam.is_open(at, ends=self.uploads_end())

    def late_by(self, at=None):
        """How late an upload started at `at` is (None: on time)."""
        due = self.deadline()
        at = at or timezone.now()
        return at - due if due is not None and at >= due else None

    def can_upload(self, at=None):
        return self.is_open(at) and self.uploads_left() > 0

    def change_upload_code(self, by=None):
        """A new personal upload link; the old one stops working at once. Logged in the
        student's audit trail (through the reverse relation: this app imports nothing from
        submissions) with the examiner `by` who changed it."""
        self.upload_code = new_upload_code()
        self.save(update_fields=["upload_code"])
        Event = self.events.model
        Event.log(self, Event.Kind.LINK_CHANGED, by=by)

    def extend_deadline(self, until, by=None):
        """Give this student their own, later deadline (None takes it away), logged in
        their audit trail with the examiner `by`."""
        self.extended_until = until
        self.save(update_fields=["extended_until"])
        Event = self.events.model
        detail = times.format_time(until, "long", self.exam.zone) if until else ""
        Event.log(self, Event.Kind.EXTENSION, detail=detail, by=by)

    def give_extra_uploads(self, extra, by=None):
        """Set how many uploads this student has on top of the exam's (0 takes them back),
        logged in their audit trail with the examiner `by`."""
        if not 0 <= extra <= MAX_EXTRA_UPLOADS:
            raise ValueError(f"extra uploads must be 0 to {MAX_EXTRA_UPLOADS}, not {extra}")
        self.extra_uploads = extra
        self.save(update_fields=["extra_uploads"])
        Event = self.events.model
        Event.log(
            self,
            Event.Kind.EXTRA_UPLOADS,
            detail=f"{extra} extra, {self.max_uploads()} in all",
            by=by,
        )


class WorkerHeartbeat(models.Model):
    """When each worker process last ran its clock (`manage.py worker`, once a minute):
    /healthz/deep reads the newest beat to tell an operator whether any worker is alive."""

    worker = models.CharField(max_length=200, unique=True, help_text="host:pid")
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, worker, at=None):
        """Record that `worker` is alive now; rows of workers gone for a day are dropped."""
        at = at or timezone.now()
        cls.objects.update_or_create(worker=worker[:200], defaults={"beat_at": at})
        cls.objects.filter(beat_at__lt=at - timedelta(days=1)).delete()

    @classmethod
    def last_beat_at(cls):
        return cls.objects.aggregate(last=models.Max("beat_at"))["last"]


class ClockRun(models.Model):
    """When the workers' clock last ran a set of jobs (students.clock): however many workers
    there are, the first to claim a period runs its jobs, the others skip them."""

    name = models.CharField(max_length=100, unique=True)
    ran_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.ran_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def claim(cls, name, every, at=None):
        """Whether the caller runs `name` now: True for one caller once `every` has passed
        since it last ran (a conditional update, so two workers cannot both win)."""
        at = at or timezone.now()
        cls.objects.get_or_create(name=name, defaults={"ran_at": at - every})
        return cls.objects.filter(name=name, ran_at__lte=at - every).update(ran_at=at) == 1


class ExaminerProfile(models.Model):
    """What an examiner chose for themselves: for now, the time zone their times are shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="examiner_profile"
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])

    def __str__(self):
        return f"{self.user} ({self.time_zone})"

    @staticmethod
    def time_zone_of(user):
        """The zone `user` chose for their times, or None until they choose. No query when
        the profile came with the user (students.backends)."""
        profile = getattr(user, "examiner_profile", None)
        return profile.time_zone if profile else None


class StudentImport(models.Model):
    """A CSV waiting for the examiner's confirmation. Preview and import both parse this
    stored text, so the import never trusts anything the browser sends back."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="pending_imports")
    file_name = models.CharField(max_length=255)
    text = models.TextField()
    # The encoding the file was read in (students.imports.ENCODINGS), said in the preview.
    encoding = models.CharField(max_length=20, blank=True, default="")
    # Which column holds which field ({"nickname": 0, ...}), when the examiner picked them
    # because the header row did not say; None: read from the header.
    columns = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.file_name} for {self.exam}"

    def get_absolute_url(self):
        return reverse("students:import_preview", args=[self.exam_id, self.pk])

    def encoding_name(self):
        from students.imports import encoding_name

        return encoding_name(self.encoding) if self.encoding else ""


# --- Mail -----------------------------------------------------------------------------


def new_message_id():
    """A Message-ID made once per mail, so a mail sent again after a worker died is
    recognisable as the same mail by the receiving side."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return make_msgid(domain=domain)


class ExamMail(models.Model):
    """An exam's mail settings: the upload-link mail's words and what goes out by itself.
    Its own table, made when the examiner first writes to students, so an exam without
    mail costs nothing."""

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="mail")
    subject = models.CharField(max_length=200, blank=True)
    message = models.TextField(max_length=5000, blank=True)
    reminder_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    reminder_subject = models.CharField(max_length=200, blank=True)
    reminder_message = models.TextField(max_length=5000, blank=True)
    notify_deadline = models.BooleanField(default=False)
    notify_deletion = models.BooleanField(default=False)

    def __str__(self):
        return f"Mail settings of {self.exam}"


# The outbox's tables live in their own module; imported here so that Django finds them
# with the app's models, and so that `from students.models import Mail` keeps working.
from students.outbox_models import Mail, Mailing, MailQuerySet  # noqa: E402, F401

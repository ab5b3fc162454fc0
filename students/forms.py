import re
import unicodedata
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from students import collation, filetypes, imports, mail, times
from students.filetypes import too_large_message
from students.models import (
    EXAM_FIELDS,
    EXAM_TIME_FIELDS,
    MAX_EXTRA_UPLOADS,
    Exam,
    ExaminerProfile,
    ExamMail,
    Student,
    submission_model,
    time_zones,
)
from students.text import plain_text

MB = 1024 * 1024  # as the pages print sizes (filesizeformat)


class ZonedDateTimeField(forms.DateTimeField):
    """A date and time typed and shown in a given zone (the exam's), not the examiner's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_validators = [times.validate_settable]
    zone = None

    def prepare_value(self, value):
        with timezone.override(self.zone):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(self.zone):
            return super().to_python(value)

    def run_validators(self, value):
        with timezone.override(self.zone):
            super().run_validators(value)


def language_choices():
    return settings.LANGUAGES


def time_zone_choices():
    return [(zone, zone) for zone in sorted(time_zones())]


class ExamForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("The times below are typed and shown in this zone, on every page."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        required=False,  # not sent: the exam's (a new exam's: the examiner's language)
        help_text=_("Mails to students are written in it, unless a student has their own."),
    )
    max_upload_mb = forms.DecimalField(
        label=_("Largest file (MB)"),
        min_value=Decimal("0.01"),
        max_digits=6,
        decimal_places=2,
        help_text=_("Students cannot upload a larger file. 3 MB suits most scanned answers."),
    )

    # Sent back by the form that warned about a due time in the past (past_due_warning).
    past_due_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Exam
        # The exam's fields, the limit in megabytes (max_upload_mb) for a person.
        fields = ["max_upload_mb" if name == "max_upload_bytes" else name for name in EXAM_FIELDS]
        field_classes = dict.fromkeys(EXAM_TIME_FIELDS, ZonedDateTimeField)
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        size = Decimal(self.instance.max_upload_bytes) / MB
        self.fields["max_upload_mb"].initial = size.quantize(Decimal("0.01")).normalize()
        self.fields["max_uploads"].help_text = _(
            "An exam is one file per student: each upload replaces the previous one, and the "
            "last one counts. On an exam that takes PDF, students can photograph paper pages "
            "on their phone and send them as one PDF."
        )
        zone = self._zone()
        for name in EXAM_TIME_FIELDS:
            field = self.fields[name]
            field.zone = zone
            field.label = f"{field.label} ({zone})"
            field.widget.attrs["data-zoned"] = "true"

    GROUPS = [
        (
            _("The exam"),
            ["title", "instructions", "contact", "statement", "language", "blind_review"],
        ),
        (_("When"), ["time_zone", *EXAM_TIME_FIELDS]),
        (
            _("Files"),
            [
                "max_upload_mb",
                "max_uploads",
                "allowed_extensions",
                "delivery_minutes",
                "retention_days",
            ],
        ),
    ]

    def groups(self):
        """The fields in fieldsets, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def _zone(self):
        """The zone the times are typed in: the one posted with them, else the exam's."""
        posted = self.data.get("time_zone") if self.is_bound else None
        name = posted if posted in time_zones() else self.instance.time_zone
        return zoneinfo.ZoneInfo(name)

    def clean(self):
        cleaned = super().clean()
        opens, due, cutoff = (cleaned.get(name) for name in EXAM_TIME_FIELDS)
        if cutoff and not due:
            self.add_error("cutoff_at", _("A cut-off needs a due time before it."))
        elif cutoff and cutoff <= due:
            self.add_error("cutoff_at", _("The cut-off must be after the due time."))
        if opens and due and opens >= due:
            self.add_error("opens_at", _("Uploads must open before they are due."))
        if self.moves_due_into_the_past(due) and not cleaned.get("past_due_confirmed"):
            self.past_due_warning = True
            self.add_error("closes_at", self.past_due_message(due))
        return cleaned

    past_due_warning = False

    def moves_due_into_the_past(self, due):
        """An existing exam's due time changed to a moment already past."""
        return bool(
            self.instance.pk and due and "closes_at" in self.changed_data and due < timezone.now()
        )

    def past_due_message(self, due):
        """What a due time in the past does: every upload from now on is late (or refused
        once the cut-off has passed); the uploads already in keep what was recorded."""
        now = timezone.now()
        exam = self.instance
        waiting = exam.students.not_submitted().exclude(extended_until__gt=now).count()
        received = (
            submission_model()
            .objects.current()
            .filter(student__exam=exam, accepted_at__gt=due, late_by__isnull=True)
            .count()
        )
        return " ".join(
            [
                ngettext(
                    "This due time is in the past: %(count)s student who has not submitted "
                    "yet can then only upload late (or not at all once the cut-off has passed).",
                    "This due time is in the past: %(count)s students who have not submitted "
                    "yet can then only upload late (or not at all once the cut-off has passed).",
                    waiting,
                )
                % {"count": waiting},
                ngettext(
                    "%(count)s upload already received after it stays marked on time.",
                    "%(count)s uploads already received after it stay marked on time.",
                    received,
                )
                % {"count": received},
                gettext("Save again to confirm."),
            ]
        )

    def clean_max_upload_mb(self):
        """The limit in bytes, set on the exam here: the model field is not on the form."""
        size = int(self.cleaned_data["max_upload_mb"] * MB)
        if size > settings.FILE_UPLOAD_HARD_LIMIT:
            raise forms.ValidationError(
                _("The server accepts files up to %(limit)s."),
                params={"limit": filesizeformat(settings.FILE_UPLOAD_HARD_LIMIT)},
            )
        self.instance.max_upload_bytes = size
        return self.cleaned_data["max_upload_mb"]

    def clean_language(self):
        return self.cleaned_data["language"] or self.instance.language

    def clean_allowed_extensions(self):
        """Kept as plain words, "pdf, docx", however the examiner typed them."""
        allowed = filetypes.parse_extensions(self.cleaned_data["allowed_extensions"])
        wrong = [ext for ext in allowed if not re.fullmatch(r"[a-z0-9]{1,10}", ext)]
        if wrong:
            raise forms.ValidationError(
                _("“%(wrong)s” is not a file extension. Write extensions like “pdf, docx”."),
                params={"wrong": wrong[0]},
            )
        return ", ".join(allowed)


class PlainTextField(forms.CharField):
    """Text without invisible marks or stray spaces (students.text.plain_text)."""

    def to_python(self, value):
        return plain_text(super().to_python(value))


class StudentForm(forms.ModelForm):
    class Meta:
        model = Student
        fields = ["nickname", "first_name", "last_name", "email", "language"]
        widgets = {"language": forms.Select(choices=[("", _("The exam's")), *settings.LANGUAGES])}
        field_classes = {
            "nickname": PlainTextField,
            "first_name": PlainTextField,
            "last_name": PlainTextField,
        }
        error_messages = {
            "email": {
                "invalid": _(
                    "This is not an email address we can send to. Check it for typos, "
                    "e.g. “name@example.edu”."
                )
            }
        }

    def clean_nickname(self):
        nickname = self.cleaned_data["nickname"].strip()
        taken = Student.objects.filter(
            exam=self.instance.exam, nickname_key=collation.nickname_key(nickname)
        )
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("A student with nickname “%(nickname)s” is already in this exam."),
                params={"nickname": nickname},
            )
        return nickname


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One student per row, with a header row naming the columns nickname, first name, "
            "last name and email (and, if you like, language: de or en), in any order. Comma "
            "or semicolon separated, in UTF-8 or as your spreadsheet saves it (we detect the "
            "encoding)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(too_large_message(upload.size, imports.MAX_BYTES))
        try:
            self.text, self.encoding = imports.read_text(upload.read())
            imports.read(self.text)
        except imports.ColumnsUnknown:
            pass  # Every row was read: the examiner picks the columns next.
        except imports.UnreadableFile as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class ColumnsForm(forms.Form):
    """Which of the file's columns holds which field, for a header row we do not know."""

    LABELS = {
        "nickname": _("Nickname (student number)"),
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "email": _("Email (optional)"),
        "language": _("Language (optional)"),
    }

    def __init__(self, header, sample, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", _("— none —"))] + [
            (str(index), _column_label(index, header[index], sample))
            for index in self.offered(header)
        ]
        for column, label in self.LABELS.items():
            self.fields[column] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=column in imports.REQUIRED,
            )

    @staticmethod
    def offered(header):
        """The columns a list offers: the first MAX_COLUMNS_OFFERED, and any further one the
        header names as a field. A header of thousands of columns would make a page of
        megabytes (five lists of every column) that no one could use."""
        guessed = set(imports.guess(header).values())
        return [
            index
            for index in range(len(header))
            if index < imports.MAX_COLUMNS_OFFERED or index in guessed
        ]

    def is_cut_short(self):
        return len(self.header) > imports.MAX_COLUMNS_OFFERED

    def clean(self):
        data = super().clean()
        picked = [index for index in data.values() if index is not None]
        if len(picked) != len(set(picked)):
            raise forms.ValidationError(_("Each column can hold one field only."))
        return data

    @property
    def columns(self):
        return {column: index for column, index in self.cleaned_data.items() if index is not None}


def _column_label(index, name, sample):
    example = sample[index] if index < len(sample) else ""
    values = {"number": index + 1, "name": name.strip()[:40], "example": example.strip()[:40]}
    if values["example"]:
        return _("Column %(number)s: “%(name)s”, e.g. “%(example)s”") % values
    return _("Column %(number)s: “%(name)s”") % values


def extension_for(exam, until):
    """`until` as a student's extension of `exam`'s deadline (the bulk form's and the
    student's own), or the reason it cannot be one."""
    if not exam.can_extend_to(until):
        raise forms.ValidationError(_("An extension must end after the exam's due time."))
    return until


class RosterForm(forms.Form):
    """The roster's search box, filter and sort order, read from the query string; a page
    of it holds PAGE_SIZE students, on the exam's page and in the API alike."""

    PAGE_SIZE = 50

    SHOW = {
        "": (_("Everyone"), lambda students: students),
        "submitted": (_("Submitted"), lambda students: students.submitted()),
        "waiting": (_("Not yet"), lambda students: students.not_submitted()),
        "no_uploads_left": (_("No uploads left"), lambda students: students.out_of_uploads()),
    }
    # By name: in the order of the alphabet (students.collation), then as written.
    SORT = {
        "": (_("Name"), ["sort_key", "last_name", "first_name", "nickname"]),
        "-name": (_("Name, Z to A"), ["-sort_key", "-last_name", "-first_name", "-nickname"]),
        "-last_upload": (
            _("Latest upload first"),
            [F("last_upload_at").desc(nulls_last=True), "sort_key", "last_name"],
        ),
        "last_upload": (
            _("Earliest upload first"),
            [F("last_upload_at").asc(nulls_last=True), "sort_key", "last_name"],
        ),
    }

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    show = forms.ChoiceField(
        label=_("Show"), required=False, choices=[(k, v[0]) for k, v in SHOW.items()]
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=[(k, v[0]) for k, v in SORT.items()]
    )

    def students(self, exam):
        """The exam's students that match, in order; the whole roster if the query is bad."""
        data = self.cleaned_data if self.is_valid() else {}
        students = exam.students.all()
        if "last_upload" in data.get("sort", ""):
            students = students.with_last_upload()
        if data.get("q"):
            students = students.search(data["q"])
        students = self.SHOW[data.get("show", "")][1](students)
        return students.order_by(*self.SORT[data.get("sort", "")][1])


class BulkForm(forms.Form):
    """What to do to which of the roster's students: the rows ticked, or every student
    matching the roster's search and filter (`everyone`), on every page."""

    ACTIONS = {
        "extend": _("Extend the deadline"),
        "extra_uploads": _("Give extra uploads"),
        "zip": _("Download their files (ZIP)"),
        "email": _("Email their upload links"),
    }

    action = forms.ChoiceField(choices=list(ACTIONS.items()), widget=forms.HiddenInput)
    student = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.MultipleHiddenInput
    )
    everyone = forms.BooleanField(required=False, widget=forms.HiddenInput)
    extended_until = ZonedDateTimeField(
        label=_("New deadline"),
        required=False,
        help_text=_("Later than the exam's due time; a cut-off moves by as much."),
    )
    extra_uploads = forms.IntegerField(
        label=_("Extra uploads for each"),
        required=False,
        min_value=0,
        max_value=MAX_EXTRA_UPLOADS,
        help_text=_("On top of the exam's uploads; 0 takes extra uploads back."),
    )
    NEEDS = {"extend": "extended_until", "extra_uploads": "extra_uploads"}
    NEEDS_MESSAGES = {
        "extended_until": _("Choose the new deadline."),
        "extra_uploads": _("Say how many extra uploads each student gets."),
    }
    # The number of students the confirmation named: if it changed, confirm again.
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, exam, data, **kwargs):
        super().__init__(data, **kwargs)
        self.exam = exam
        self.roster = RosterForm(data)
        self.fields["student"].queryset = exam.students.all()
        field = self.fields["extended_until"]
        field.zone = exam.zone
        field.label = f"{field.label} ({exam.time_zone})"

    def clean(self):
        data = super().clean()
        if not data.get("everyone") and not data.get("student"):
            raise forms.ValidationError(
                _("No students are selected. Tick them on the roster first.")
            )
        return data

    def clean_extended_until(self):
        return extension_for(self.exam, self.cleaned_data["extended_until"])

    def has_selection(self):
        """An action and some students to do it to (what the action needs may still be
        missing or wrong: the confirmation asks for it)."""
        self.is_valid()
        return not (
            self.has_error("action") or self.has_error("student") or self.non_field_errors()
        )

    def students(self):
        """The students chosen, as a queryset of the exam's students."""
        if self.cleaned_data.get("everyone"):
            return self.roster.students(self.exam)
        return self.exam.students.filter(pk__in=[s.pk for s in self.cleaned_data["student"]])

    def is_ready(self, count):
        """Posted from the confirmation, for the number of students it named, with what
        the action needs: the deadline to extend to, the number of extra uploads."""
        data = self.cleaned_data
        if not self.is_valid() or data.get("expected") != count:
            return False
        needs = self.NEEDS.get(data["action"])
        if needs and data.get(needs) is None:
            self.add_error(needs, self.NEEDS_MESSAGES[needs])
            return False
        return True


class ExamStateForm(forms.Form):
    state = forms.ChoiceField(choices=Exam.State.choices, required=False)


class ExtensionForm(forms.ModelForm):
    """A student's own deadline: typed, or the current one moved by a step (a button named
    `add`). It starts from the student's current deadline, the exam's or their extension."""

    STEPS = {
        "hour": (timedelta(hours=1), _("+1 hour")),
        "day": (timedelta(days=1), _("+1 day")),
        "week": (timedelta(weeks=1), _("+1 week")),
    }

    class Meta:
        model = Student
        fields = ["extended_until"]
        field_classes = {"extended_until": ZonedDateTimeField}
        help_texts = {
            "extended_until": _(
                "Later than the exam's due time; a cut-off moves by as much. Empty takes it away."
            )
        }

    def __init__(self, data=None, *args, instance, **kwargs):
        current = instance.deadline()
        if data is not None and data.get("add") in self.STEPS and current:
            data = data.copy()
            moved = timezone.localtime(current + self.STEPS[data["add"]][0], instance.exam.zone)
            data["extended_until"] = moved.strftime("%Y-%m-%dT%H:%M")
        kwargs.setdefault("initial", {"extended_until": current})
        super().__init__(data, *args, instance=instance, **kwargs)
        field = self.fields["extended_until"]
        field.zone = self.instance.exam.zone
        field.label = f"{field.label} ({self.instance.exam.time_zone})"

    def steps(self):
        """(name, label, the deadline it gives) for each step from the current deadline."""
        current = self.instance.deadline()
        if not current:
            return []
        return [(name, label, current + delta) for name, (delta, label) in self.STEPS.items()]

    def clean_extended_until(self):
        return extension_for(self.instance.exam, self.cleaned_data["extended_until"])


class ExtraUploadsForm(forms.Form):
    extra_uploads = forms.IntegerField(
        label=_("Extra uploads"),
        min_value=0,
        max_value=MAX_EXTRA_UPLOADS,
        help_text=_("On top of the exam's uploads, for this student only; 0 takes them back."),
    )


class TimeZoneForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = ExaminerProfile
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # Not chosen yet: start from the site's zone; static/js/timezone.js offers the
            # browser's zone instead.
            self.initial["time_zone"] = self.initial.get("time_zone") or settings.TIME_ZONE
            self.fields["time_zone"].widget.attrs["data-suggest"] = "browser"


# --- Mail -----------------------------------------------------------------------------


def _one_line_without_controls(value):
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise forms.ValidationError(
            _("The subject must be one line, without line breaks or control characters.")
        )


class MailingForm(forms.Form):
    """Whom to write to and what to say, for upload links or a reminder."""

    AUDIENCES = {
        "all": _("Everyone"),
        "never_sent": _("Those never sent their link"),
        "waiting": _("Those who have not submitted yet"),
        "selected": _("The students selected on the roster"),
    }

    audience = forms.ChoiceField(
        label=_("Send to"), choices=list(AUDIENCES.items()), widget=forms.RadioSelect
    )
    student = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.MultipleHiddenInput
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, validators=[_one_line_without_controls]
    )
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea)
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, exam, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exam = exam
        self.fields["student"].queryset = exam.students.all()
        names = ", ".join(f"{{{name}}}" for name in mail.PLACEHOLDERS)
        self.fields["message"].help_text = _("Placeholders: %(names)s.") % {"names": names}

    def _placeholders(self, field):
        value = self.cleaned_data[field]
        unknown = mail.unknown_placeholders(value)
        if unknown:
            raise forms.ValidationError(
                _("“{%(name)s}” is not a placeholder we know. Use %(names)s."),
                params={
                    "name": unknown[0],
                    "names": ", ".join(f"{{{name}}}" for name in mail.PLACEHOLDERS),
                },
            )
        return value

    def clean_subject(self):
        return self._placeholders("subject")

    def clean_message(self):
        return self._placeholders("message")

    def clean(self):
        data = super().clean()
        if data.get("audience") == "selected" and not data.get("student"):
            self.add_error(
                "audience", _("No students are selected. Tick them on the roster first.")
            )
        return data

    def students(self, kind):
        audience = self.cleaned_data["audience"]
        students = self.exam.students.all()
        if audience == "never_sent":
            return mail.never_sent(students, kind)
        if audience == "waiting":
            return students.not_submitted()
        if audience == "selected":
            return students.filter(pk__in=self.cleaned_data["student"].values("pk"))
        return students


class ExamMailForm(forms.ModelForm):
    class Meta:
        model = ExamMail
        fields = ["reminder_hours", "notify_deadline", "notify_deletion"]
        labels = {
            "reminder_hours": _(
                "Remind those who have not submitted, this many hours before the deadline"
            ),
            "notify_deadline": _(
                "Mail me when the deadline passes (who submitted, who is missing)"
            ),
            "notify_deletion": _("Mail me the day before files are deleted"),
        }
        help_texts = {
            "reminder_hours": _(
                "Each student is reminded before their own deadline (with an extension, before "
                "that). Empty: no automatic reminder."
            )
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"), max_length=150)


class DeleteExamForm(forms.Form):
    """Deleting an exam takes typing its title: one slip of the mouse must not do it."""

    title = forms.CharField(label=_("Type the exam's title to confirm"), max_length=200)

    def __init__(self, exam, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exam = exam

    @staticmethod
    def comparable(title):
        """The title as typed on any keyboard: every dash (en, em, minus, non-breaking) a
        hyphen, every run of spaces (non-breaking ones too) one space, none at the ends."""
        title = "".join(
            "-" if unicodedata.category(c) == "Pd" or c == "\u2212" else c for c in title
        )
        return " ".join(title.split())

    def clean_title(self):
        title = self.cleaned_data["title"]
        if self.comparable(title) != self.comparable(self.exam.title):
            raise forms.ValidationError(
                _("That is not this exam's title; type “%(title)s” exactly."),
                params={"title": self.exam.title},
            )
        return title


class DuplicateExamForm(forms.Form):
    title = PlainTextField(label=_("Title of the copy"), max_length=200)
    with_roster = forms.BooleanField(
        label=_("Copy the students too"),
        required=False,
        help_text=_(
            "Names, nicknames and addresses, each with a new upload link. Submissions are "
            "never copied."
        ),
    )


class ShareForm(forms.Form):
    """A co-examiner: an examiner who already has a login, named by username or email."""

    who = forms.CharField(label=_("Username or email of an examiner"), max_length=254)

    def __init__(self, exam, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exam = exam

    def clean_who(self):
        who = self.cleaned_data["who"].strip()
        User = get_user_model()
        found = User.objects.filter(is_active=True).filter(
            Q(username__iexact=who) | Q(email__iexact=who)
        )
        if len(found[:2]) != 1:
            raise forms.ValidationError(
                _("No single examiner has the username or email “%(who)s”."),
                params={"who": who},
            )
        user = found.get()
        if user.pk == self.exam.owner_id:
            raise forms.ValidationError(_("%(who)s owns this exam."), params={"who": who})
        if self.exam.co_examiners.filter(pk=user.pk).exists():
            raise forms.ValidationError(_("%(who)s already shares this exam."), params={"who": who})
        return user

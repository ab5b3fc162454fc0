from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from students import times
from students.forms import ExamForm
from students.models import EXAM_FIELDS, Exam


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "exam", "expires_at"]
        widgets = {
            "expires_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {"name": _("What the token is for, e.g. “LMS roster sync”.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exam"].queryset = Exam.objects.visible_to(user)
        self.fields["exam"].empty_label = _("All my exams")
        self.fields["expires_at"].validators.append(times.validate_settable)

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at and expires_at <= timezone.now():
            raise forms.ValidationError(_("An expiry must be in the future."))
        return expires_at


class ApiExamForm(ExamForm):
    """The exam form of the pages, with the limit in bytes instead of megabytes (a script
    means bytes) and the open/closed override as a field: every other rule is ExamForm's."""

    max_upload_mb = None

    class Meta(ExamForm.Meta):
        fields = [*EXAM_FIELDS, "manual_state"]

    def __init__(self, *args, **kwargs):
        # ExamForm's own __init__ only fills in the megabytes field, which is not here.
        forms.ModelForm.__init__(self, *args, **kwargs)

    def moves_due_into_the_past(self, due):
        """A script means the time it sends; the page's second click is for people."""
        return False

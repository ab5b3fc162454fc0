import secrets

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from students import filetypes
from submissions import codes
from submissions.storage import safe_filename
from submissions.validators import AllowedTypesValidator, MaxFileSizeValidator


class UploadForm(forms.Form):
    # The token comes first so the form's fields stay ahead of the file in the body.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    file = forms.FileField(
        label=_("Your answer file"),
        error_messages={
            "required": _("Please choose a file to upload."),
            "empty": _("This file is empty (0 bytes). Please check you picked the right file."),
            "invalid": _("That did not arrive as a file. Please choose your file again."),
        },
    )

    # Both boxes are ticked in the browser before the file is sent (the file comes last).
    statement = forms.BooleanField(required=False)
    confirm_last = forms.BooleanField(
        label=_("I understand that this is my last upload: I cannot replace this file later."),
        error_messages={
            "required": _(
                "This is your last upload. Please tick the box to confirm it; "
                "nothing was stored and no upload was used."
            )
        },
    )
    field_order = ["form_token", "statement", "confirm_last", "file"]

    def __init__(
        self, *args, max_bytes, allowed_extensions="", statement="", last_upload=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if statement:
            # Required in the browser; the rule itself is accept_upload's, for every caller.
            self.fields["statement"].label = statement
            self.fields["statement"].widget.attrs["required"] = True
        else:
            del self.fields["statement"]
        if not last_upload:
            del self.fields["confirm_last"]
        self.fields["file"].validators = [
            MaxFileSizeValidator(max_bytes),
            AllowedTypesValidator(allowed_extensions),
        ]
        allowed = filetypes.parse_extensions(allowed_extensions)
        if allowed:
            self.fields["file"].widget.attrs["accept"] = ",".join(f".{ext}" for ext in allowed)
            self.fields["file"].help_text = gettext("Accepted: %(types)s files.") % {
                "types": filetypes.describe(allowed)
            }
        self.fields["form_token"].initial = secrets.token_urlsafe(24)

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        uploaded.name = safe_filename(uploaded.name)
        return uploaded


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("For example 7KQ2-M9XD-3HFP. Dashes, spaces and case do not matter."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": 40}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].validators = []

    def clean_code(self):
        """The code as stored. One that cannot be a code (no code exists that looks like it,
        so saying so tells nothing about which codes exist) is told apart from an unknown
        one, with what is wrong with it."""
        typed = self.cleaned_data["code"]
        if codes.normalize(typed) is None:
            symbols = codes.symbols(typed)
            if len(symbols) != codes.LENGTH:
                raise forms.ValidationError(
                    ngettext(
                        "A verification code has %(length)s letters and digits, like "
                        "7KQ2-M9XD-3HFP; this has %(count)s.",
                        "A verification code has %(length)s letters and digits, like "
                        "7KQ2-M9XD-3HFP; this has %(count)s.",
                        len(symbols),
                    ),
                    params={"length": codes.LENGTH, "count": len(symbols)},
                    code="length",
                )
            raise forms.ValidationError(
                gettext(
                    "A verification code has only letters and digits, and never the letter "
                    "U: check the code against the receipt."
                ),
                code="characters",
            )
        return typed

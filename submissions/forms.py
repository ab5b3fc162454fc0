import secrets

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from students import filetypes
from submissions import codes, receipts, scans
from submissions.storage import safe_filename
from submissions.validators import AllowedTypesValidator, MaxFileSizeValidator


class StatementInput(forms.CheckboxInput):
    """The honour statement's box, ticked only by a value that says yes: "on" from a
    browser, 1, true or yes from a script (the API passes its statement_accepted here), in
    any case. Django's own box would read "0" or "no" as ticked."""

    YES = {"on", "1", "true", "yes"}

    def value_from_datadict(self, data, files, name):
        return str(data.get(name, "")).strip().lower() in self.YES


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """One file or several (photos of pages, to become one PDF), as a list; each is checked
    as FileField checks one (present, not empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [file for file in data if file] if isinstance(data, list | tuple) else [data]
        return [super(FilesField, self).clean(file, initial) for file in files or [None]]


class UploadForm(forms.Form):
    # The token comes first so the form's fields stay ahead of the file in the body.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    file = FilesField(
        label=_("Your answer file"),
        error_messages={
            "required": _("Please choose a file to upload."),
            "empty": _("This file is empty (0 bytes). Please check you picked the right file."),
            "invalid": _("That did not arrive as a file. Please choose your file again."),
        },
    )

    # Both boxes are ticked in the browser before the file is sent (the file comes last).
    statement = forms.BooleanField(required=False, widget=StatementInput)
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
        self.max_bytes = max_bytes
        self.allowed = filetypes.parse_extensions(allowed_extensions)
        self.file_validators = [
            MaxFileSizeValidator(max_bytes),
            AllowedTypesValidator(allowed_extensions),
        ]
        if self.allowed:
            self.fields["file"].widget.attrs["accept"] = filetypes.accept_attribute(self.allowed)
            self.fields["file"].help_text = gettext("Accepted: %(types)s files.") % {
                "types": filetypes.describe(self.allowed)
            }
        self.makes_pdfs = filetypes.makes_pdfs(self.allowed)
        if self.makes_pdfs:
            self.fields["file"].widget.attrs["multiple"] = True
        self.fields["form_token"].initial = secrets.token_urlsafe(24)

    @classmethod
    def for_exam(cls, exam, *args, **kwargs):
        """The form with `exam`'s rules (its limit, file types and statement): what every door
        that takes a file through the app (the page, the API) builds."""
        return cls(
            *args,
            max_bytes=exam.max_upload_bytes,
            allowed_extensions=exam.allowed_extensions,
            statement=exam.statement,
            **kwargs,
        )

    def clean_file(self):
        """The one answer file: the file chosen, or the photos chosen made into one PDF
        (several photos, or one of a type the exam takes only as PDF)."""
        files = self.cleaned_data["file"]
        for file in files:
            file.name = safe_filename(file.name)
        if self.makes_pdfs and (len(files) > 1 or self._wants_pdf(files[0])):
            uploaded = scans.combine(files, self.max_bytes)
        elif len(files) > 1:
            raise forms.ValidationError(
                _("Please choose one file: your answer is one file."), code="several_files"
            )
        else:
            uploaded = files[0]
        for validate in self.file_validators:
            validate(uploaded)
        return uploaded

    def _wants_pdf(self, file):
        ext = filetypes.extension(file.name)
        return ext in filetypes.SCANNABLE and self.allowed and ext not in self.allowed

    def wrong_type_messages(self):
        """For the page's script: the server's refusals by extension."""
        return filetypes.wrong_type_messages(self.allowed)


class CommitForm(forms.Form):
    """A two-step upload's first step, from the page's script: the chosen file's fingerprint
    (SHA-256 and size, computed in the browser) and name, the page's form token, and the
    statement box. The exam's rules are submissions.uploads.commit's, for every door."""

    token = forms.CharField(max_length=64)
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", max_length=64)
    size = forms.IntegerField(min_value=0)
    name = forms.CharField(max_length=255)
    statement = forms.BooleanField(required=False, widget=StatementInput)

    def clean_size(self):
        """An empty file is refused as the one-step upload's form refuses it (code `empty`)."""
        size = self.cleaned_data["size"]
        if size == 0:
            raise forms.ValidationError(
                UploadForm.base_fields["file"].error_messages["empty"], code="empty"
            )
        return size

    def clean_name(self):
        return safe_filename(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean()
        if "statement" in cleaned:
            cleaned["statement_accepted"] = cleaned.pop("statement")
        return cleaned


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


class ReceiptCheckForm(forms.Form):
    receipt = forms.FileField(
        label=_("Or check a receipt file"),
        help_text=_(
            "The signed receipt (.json) from the receipt page or the receipt mail: its "
            "signature is checked with our published keys."
        ),
        error_messages={
            "required": _("Please choose the receipt file (.json) to check."),
            "empty": _("This file is empty (0 bytes). Please choose the receipt file (.json)."),
        },
    )

    def clean_receipt(self):
        receipt = self.cleaned_data["receipt"]
        if receipt.size > receipts.MAX_RECEIPT_BYTES:
            raise forms.ValidationError(
                gettext(
                    "This file is %(size)s: a receipt is a few kilobytes. Please choose the "
                    "receipt file (.json) you downloaded or got by mail."
                )
                % {"size": filesizeformat(receipt.size)},
                code="not_a_receipt",
            )
        return receipt

import secrets

from django import forms

from submissions.validators import MaxFileSizeValidator, validate_not_empty


class UploadForm(forms.Form):
    # The token comes first so the form's fields stay ahead of the file in the body.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    file = forms.FileField(
        label="Your answer file",
        error_messages={
            "required": "Please choose a file to upload.",
            "empty": "This file is empty (0 bytes). Please check you picked the right file.",
            "invalid": "That did not arrive as a file. Please choose your file again.",
        },
    )

    def __init__(self, *args, max_bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].validators = [validate_not_empty, MaxFileSizeValidator(max_bytes)]
        self.fields["form_token"].initial = secrets.token_urlsafe(24)


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=40,
        help_text="For example 7KQ2-M9XD-3HFP. Dashes, spaces and case do not matter.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students import filetypes
from students.filetypes import MAKE_IT_SMALLER, too_large_message


class MaxFileSizeValidator:
    def __init__(self, limit):
        self.limit = limit

    def __call__(self, uploaded_file):
        self.check(uploaded_file.size)

    def check(self, size):
        """A file of `size` bytes (one on its way, known by its fingerprint) against the limit."""
        if size > self.limit:
            raise ValidationError(
                f"{too_large_message(size, self.limit)} {gettext(MAKE_IT_SMALLER)}",
                code="file_too_large",
            )


class AllowedTypesValidator:
    """An exam's file types (e.g. "pdf, docx"), checked by the name's extension and, for the
    types the app knows, by the file's first bytes. No types: any file is fine."""

    def __init__(self, allowed):
        self.allowed = filetypes.parse_extensions(allowed)

    def __call__(self, uploaded_file):
        if not self.allowed:
            return
        self.check_name(uploaded_file.name)
        self.check_content(uploaded_file.name, filetypes.read_head(uploaded_file))

    def check_name(self, name):
        if self.allowed and filetypes.extension(name) not in self.allowed:
            raise ValidationError(
                filetypes.wrong_type_message(name, self.allowed), code="file_type_not_allowed"
            )

    def check_content(self, name, head):
        """The file's first bytes against the type its name claims."""
        kind = filetypes.kind_of(name)
        if self.allowed and kind and not kind.matches(head):
            raise ValidationError(
                _(
                    "“%(name)s” is named like a %(label)s file, but its content is not "
                    "%(label)s. It may have been renamed or damaged. Please save or export it "
                    "as %(label)s again and upload that."
                ),
                code="file_content_mismatch",
                params={"name": name, "label": str(kind.label)},
            )

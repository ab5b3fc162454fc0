from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from submissions import filetypes

MAKE_IT_SMALLER = gettext_noop(
    "Please make it smaller (for example, export a compressed PDF) and try again."
)


def too_large_message(size, limit, *, approximate=False):
    """ "This file is 4.2 MB; the limit is 3.0 MB.", in bytes when both would print alike
    (10,001 and 10,000 bytes are both 9.8 KB). `approximate`: the size is a request's
    declared length, not the file's; None: not known at all."""
    if size is None:
        return gettext("This file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
    shown, allowed = filesizeformat(size), filesizeformat(limit)
    if shown == allowed:
        shown, allowed = _bytes(size), _bytes(limit)
    if approximate:
        message = gettext("This file is about %(size)s; the limit is %(limit)s.")
    else:
        message = gettext("This file is %(size)s; the limit is %(limit)s.")
    return message % {"size": shown, "limit": allowed}


def _bytes(count):
    return ngettext("%(count)s byte", "%(count)s bytes", count) % {
        "count": number_format(count, force_grouping=True)
    }


class MaxFileSizeValidator:
    def __init__(self, limit):
        self.limit = limit

    def __call__(self, uploaded_file):
        if uploaded_file.size > self.limit:
            raise ValidationError(
                f"{too_large_message(uploaded_file.size, self.limit)} {gettext(MAKE_IT_SMALLER)}",
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
        ext = filetypes.extension(uploaded_file.name)
        if ext not in self.allowed:
            raise ValidationError(
                _(
                    "This exam accepts only %(allowed)s files, and “%(name)s” is %(what)s. "
                    "Please save or export your answer as %(allowed)s and upload that."
                ),
                code="file_type_not_allowed",
                params={
                    "allowed": filetypes.describe(self.allowed),
                    "name": uploaded_file.name,
                    "what": gettext("a .%(ext)s file") % {"ext": ext}
                    if ext
                    else gettext("a file without an extension"),
                },
            )
        kind = filetypes.kind_of(uploaded_file.name)
        if kind and not kind.matches(filetypes.read_head(uploaded_file)):
            raise ValidationError(
                _(
                    "“%(name)s” is named like a %(label)s file, but its content is not "
                    "%(label)s. It may have been renamed or damaged. Please save or export it "
                    "as %(label)s again and upload that."
                ),
                code="file_content_mismatch",
                params={"name": uploaded_file.name, "label": str(kind.label)},
            )

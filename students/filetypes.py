"""
What an uploaded file is, judged by its first bytes as well as its name: never by the
browser's word. The types below are the ones the app knows; an exam may allow any of them
(or others, checked by name only), and the stored content type is the detected one, or
application/octet-stream for anything else, so nothing we serve is ever read as HTML. An
exam's settings name them (students.forms), and an upload is judged by them (submissions).
Below them, how a file too large for its limit is described, wherever one is refused.
"""

from dataclasses import dataclass
from pathlib import PurePath

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

OCTET_STREAM = "application/octet-stream"
HEAD_BYTES = 8 * 1024

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the old Office formats


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    magic: tuple = ()  # the file starts with one of these; empty: plain text

    def matches(self, head):
        if self.magic:
            return head.startswith(self.magic)
        return is_text(head)


KINDS = {
    "pdf": Kind("PDF", "application/pdf", (b"%PDF-",)),
    "docx": Kind(
        "Word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ZIP,
    ),
    "xlsx": Kind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": Kind(
        "PowerPoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ZIP,
    ),
    "odt": Kind(_("OpenDocument text"), "application/vnd.oasis.opendocument.text", ZIP),
    "ods": Kind(
        _("OpenDocument spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet", ZIP
    ),
    "odp": Kind(
        "OpenDocument presentation", "application/vnd.oasis.opendocument.presentation", ZIP
    ),
    "zip": Kind("ZIP", "application/zip", ZIP),
    "doc": Kind("Word 97-2003", "application/msword", OLE),
    "xls": Kind("Excel 97-2003", "application/vnd.ms-excel", OLE),
    "ppt": Kind("PowerPoint 97-2003", "application/vnd.ms-powerpoint", OLE),
    "png": Kind(_("PNG image"), "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": Kind(_("JPEG image"), "image/jpeg", (b"\xff\xd8\xff",)),
    "gif": Kind(_("GIF image"), "image/gif", (b"GIF87a", b"GIF89a")),
    "txt": Kind(_("text"), "text/plain"),
    "md": Kind(_("Markdown text"), "text/plain"),
    "csv": Kind("CSV", "text/csv"),
    "tex": Kind("LaTeX", "text/plain"),
    "py": Kind("Python", "text/plain"),
    "java": Kind("Java", "text/plain"),
    "c": Kind("C", "text/plain"),
    "cpp": Kind("C++", "text/plain"),
    "h": Kind(_("C header"), "text/plain"),
    "r": Kind("R", "text/plain"),
    "sql": Kind("SQL", "text/plain"),
    "ipynb": Kind(_("Jupyter notebook"), "application/json"),
    "json": Kind("JSON", "application/json"),
}
ALIASES = {"jpeg": "jpg", "text": "txt"}


def extension(filename):
    """The file name's extension, lower case and without the dot ('' for none)."""
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    return ALIASES.get(suffix, suffix)


def parse_extensions(allowed):
    """An exam's "pdf, .DOCX jpeg" as a tuple of extensions: ('pdf', 'docx', 'jpg')."""
    words = (allowed or "").replace(",", " ").replace(";", " ").split()
    found = [ALIASES.get(word.lower().lstrip("."), word.lower().lstrip(".")) for word in words]
    return tuple(dict.fromkeys(word for word in found if word))


def is_text(head):
    """UTF-8 (or plain ASCII) without NUL bytes; a character cut at the end is fine."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def read_head(uploaded_file):
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    return head


def kind_of(filename):
    return KINDS.get(extension(filename))


def content_type(uploaded_file):
    """The type to store and serve: the one the name claims when the bytes agree, else
    application/octet-stream."""
    kind = kind_of(uploaded_file.name)
    if kind and kind.matches(read_head(uploaded_file)):
        return kind.content_type
    return OCTET_STREAM


def describe(extensions):
    """'.pdf or .docx' for a refusal message."""
    names = [f".{ext}" for ext in extensions]
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(some)s or %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


# --- Sizes ----------------------------------------------------------------------------

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

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


# An ISO media file (HEIC/HEIF, what iPhones take photos in) names its brand after "ftyp".
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    magic: tuple = ()  # the file starts with one of these; empty: plain text
    brands: tuple = ()  # or, for ISO media files, names one of these brands

    def matches(self, head):
        if self.brands:
            return head[4:8] == b"ftyp" and head[8:12] in self.brands
        if self.magic:
            return head.startswith(self.magic)
        return is_text(head)

    @property
    def is_photo(self):
        return self.content_type.startswith("image/")


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
    "heic": Kind(_("HEIC photo"), "image/heic", brands=HEIF_BRANDS),
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
# Other names of the same types, as phones and programs write them (in any case).
ALIASES = {"jpeg": "jpg", "jpe": "jpg", "heif": "heic", "text": "txt"}
# The MIME types a picker knows a type by, besides the stored one: with them in the file
# input's `accept`, a phone offers the right files (and iOS hands over its photos as JPEG).
OTHER_MIME_TYPES = {"heic": ("image/heif",)}


def extension(filename):
    """The file name's extension, lower case and without the dot ('' for none)."""
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    return ALIASES.get(suffix, suffix)


def parse_extensions(allowed):
    """An exam's "pdf, .DOCX jpeg" as a tuple of extensions: ('pdf', 'docx', 'jpg')."""
    words = (allowed or "").replace(",", " ").replace(";", " ").split()
    found = [ALIASES.get(word.lower().lstrip("."), word.lower().lstrip(".")) for word in words]
    return tuple(dict.fromkeys(word for word in found if word))


def names_of(ext):
    """Every extension that means `ext`, its own first: 'jpg' -> ('jpg', 'jpeg', 'jpe')."""
    return (ext, *(alias for alias, canonical in ALIASES.items() if canonical == ext))


def accept_attribute(allowed):
    """The file input's `accept` for an exam's extensions: every name of each type, then the
    MIME types of the binary ones ('' for any file). The page's script reads its list of
    extensions from here, so the browser and the server judge names alike."""
    names = [f".{name}" for ext in allowed for name in names_of(ext)]
    mime_types = [
        mime
        for ext in allowed
        if (kind := KINDS.get(ext)) and (kind.magic or kind.brands)
        for mime in (kind.content_type, *OTHER_MIME_TYPES.get(ext, ()))
    ]
    return ",".join(dict.fromkeys(names + mime_types))


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
    return content_type_of(uploaded_file.name, read_head(uploaded_file))


def content_type_of(name, head):
    """content_type() of a file named `name` that starts with `head` (its first HEAD_BYTES)."""
    kind = kind_of(name)
    if kind and kind.matches(head):
        return kind.content_type
    return OCTET_STREAM


def claimed_content_type(name):
    """The type a file's name claims, before its bytes are seen (a two-step upload's
    storage is told it up front; the bytes are checked against it when they are there)."""
    kind = kind_of(name)
    return kind.content_type if kind else OCTET_STREAM


def describe(extensions):
    """'.pdf or .docx' for a refusal message."""
    names = [f".{ext}" for ext in extensions]
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(some)s or %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


# --- Wrong types -----------------------------------------------------------------------

# Photos of paper pages that can become one PDF (in the page's "Scan pages", or on the
# server when several are posted at once): the types phones' cameras and screenshots give.
SCANNABLE = ("jpg", "png")
DOCUMENTS = ("doc", "docx", "odt", "rtf", "pages")

SAVE_AS_PDF = gettext_noop(
    "Save it as PDF (in most programs: File → Save as → PDF, or File → Export → PDF), "
    "then upload the PDF."
)
HEIC_AS_JPEG = gettext_noop(
    "This is an iPhone photo in HEIC format. Choose it again through “Photo Library” on "
    "this page, which hands it over as JPEG, or set Settings → Camera → Formats → "
    "Most Compatible and take it again."
)
USE_SCAN_PAGES = gettext_noop("Use “Scan pages” to turn photos of your pages into one PDF.")
SEND_PHOTOS_TOGETHER = gettext_noop(
    "To hand in photos of paper pages, choose all of them at once: they become one PDF."
)
SAVE_AS_ALLOWED = gettext_noop("Please save or export your answer as %(allowed)s and upload that.")


def makes_pdfs(allowed):
    """Whether photos can be handed in as one PDF: the exam takes PDF (or any file)."""
    return not allowed or "pdf" in allowed


def wrong_type_message(name, allowed, *, scripted=False, ext=None):
    """Why `name` is refused by an exam that takes only `allowed`, naming the type found,
    and what to do about it. `scripted`: said by the page's script, which offers
    "Scan pages"; else by the server, to a form posted without it."""
    ext = extension(name) if ext is None else ext
    kind = KINDS.get(ext)
    if not ext:
        found = gettext("a file without an extension")
    elif kind:
        found = gettext("a .%(ext)s file (%(type)s)") % {"ext": ext, "type": kind.label}
    else:
        found = gettext("a .%(ext)s file") % {"ext": ext}
    first = gettext("This exam accepts only %(allowed)s files, and “%(name)s” is %(found)s.") % {
        "allowed": describe(allowed),
        "name": name,
        "found": found,
    }
    return f"{first} {_advice(ext, allowed, scripted)}"


def _advice(ext, allowed, scripted):
    if ext in DOCUMENTS and "pdf" in allowed:
        return gettext(SAVE_AS_PDF)
    if ext == "heic" and "jpg" in allowed:
        return gettext(HEIC_AS_JPEG)
    if ext in (*SCANNABLE, "heic", "gif") and makes_pdfs(allowed):
        return gettext(USE_SCAN_PAGES if scripted else SEND_PHOTOS_TOGETHER)
    return gettext(SAVE_AS_ALLOWED) % {"allowed": describe(allowed)}


def wrong_type_messages(allowed):
    """The page script's refusals, by extension: the server's words for the names a phone
    or an office program gives, with `%(name)s` (and, for '*', any other extension,
    `%(ext)s`) left for the script to fill in. Empty when the exam takes any file."""
    if not allowed:
        return {}
    names = [*DOCUMENTS, *SCANNABLE, "heic", "gif", *ALIASES]
    messages = {
        name: wrong_type_message("%(name)s", allowed, scripted=True, ext=ALIASES.get(name, name))
        for name in names
        if ALIASES.get(name, name) not in allowed
    }
    messages[""] = wrong_type_message("%(name)s", allowed, scripted=True, ext="")
    messages["*"] = wrong_type_message("%(name)s", allowed, scripted=True, ext="%(ext)s")
    return messages


# --- Sizes ----------------------------------------------------------------------------

MAKE_IT_SMALLER = gettext_noop(
    "Please make it smaller (for example, export a compressed PDF) and try again."
)


def too_large_message(size, limit, *, approximate=False):
    """ "This file is 4.2 MB; the limit is 3.0 MB." (see `sizes`). `approximate`: the size
    is a request's declared length, not the file's; None: not known at all."""
    if size is None:
        return gettext("This file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
    shown, allowed = sizes(size, limit)
    if approximate:
        message = gettext("This file is about %(size)s; the limit is %(limit)s.")
    else:
        message = gettext("This file is %(size)s; the limit is %(limit)s.")
    return message % {"size": shown, "limit": allowed}


def sizes(size, limit):
    """A size and its limit as the page shows them ("4.2 MB", "3.0 MB"), in bytes when both
    would print alike (10,001 and 10,000 bytes are both 9.8 KB)."""
    shown, allowed = filesizeformat(size), filesizeformat(limit)
    if shown == allowed:
        return _bytes(size), _bytes(limit)
    return shown, allowed


def _bytes(count):
    return ngettext("%(count)s byte", "%(count)s bytes", count) % {
        "count": number_format(count, force_grouping=True)
    }

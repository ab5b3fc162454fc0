"""Reading a roster from CSV: every row checked and explained, then one bulk insert."""

import codecs
import csv
import io
from dataclasses import dataclass, field

import charset_normalizer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import get_supported_language_variant, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from students import collation
from students.filetypes import too_large_message
from students.models import Student, StudentImport
from students.text import plain_text

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
# The column step lists this many of a file's columns (a roster needs five).
MAX_COLUMNS_OFFERED = 100

# Header spellings we accept, normalised to lower case without spaces, dashes, dots or
# underscores: English, German (a university's export), Moodle's (username, firstname,
# lastname, email; idnumber), French.
COLUMNS = {
    "nickname": {
        "nickname",
        "nick",
        "studentnumber",
        "studentid",
        "id",
        "username",
        "idnumber",
        "matrikelnummer",
        "matrikelnr",
        "matrnr",
        "matrikel",
        "kennung",
        "benutzername",
    },
    "first_name": {"firstname", "givenname", "forename", "first", "vorname", "prénom", "prenom"},
    "last_name": {
        "lastname",
        "surname",
        "familyname",
        "last",
        "nachname",
        "familienname",
        "nom",
    },
    "email": {"email", "emailaddress", "mail", "emailadresse", "mailadresse", "courriel"},
    "language": {"language", "sprache", "langue"},
}
REQUIRED = ("nickname", "first_name", "last_name")
LABELS = {
    "nickname": gettext_lazy("nickname"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("email"),
    "language": gettext_lazy("language"),
}


MISSING = {
    "nickname": gettext_lazy("The nickname is missing."),
    "first_name": gettext_lazy("The first name is missing."),
    "last_name": gettext_lazy("The last name is missing."),
}


NO_STUDENTS = gettext_lazy("This file has a header row but no students.")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a roster; the message says why, for the examiner."""


class ColumnsUnknown(UnreadableFile):
    """The header row does not name every column we need: the examiner picks them."""

    def __init__(self, message, header):
        super().__init__(message)
        self.header = header


@dataclass
class Row:
    line: int
    nickname: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    language: str = ""
    errors: list = field(default_factory=list)
    cells: list = field(default_factory=list)  # the line as it was in the file

    def is_valid(self):
        return not self.errors

    def student(self, exam):
        return Student(
            exam=exam,
            nickname=self.nickname,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            language=self.language,
        )


@dataclass
class Preview:
    rows: list
    header: list = field(default_factory=list)

    @property
    def valid_rows(self):
        return [row for row in self.rows if row.is_valid()]

    @property
    def invalid_rows(self):
        return [row for row in self.rows if not row.is_valid()]


# The encodings a class list arrives in, most likely first: UTF-8 (with or without a byte
# order mark), then what Excel writes as "CSV" on Windows in western Europe, on a Mac, in
# DOS's code page, and their neighbours. The detector picks among them; of those that read
# the file equally well, the first here wins (Windows-1252, for a German Excel's default).
ENCODINGS = ["utf_8", "cp1252", "mac_roman", "cp850", "iso8859_15", "cp1250"]
ENCODING_NAMES = {
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "cp1252": gettext_lazy("Windows-1252 (Excel's CSV on Windows)"),
    "mac_roman": gettext_lazy("Mac Roman (Excel's CSV on an older Mac)"),
    "cp850": gettext_lazy("DOS (code page 850)"),
    "iso8859_15": "ISO 8859-15",
    "cp1250": gettext_lazy("Windows-1250 (central Europe)"),
}


NOT_TEXT = gettext_lazy("This is not a CSV file: it looks like a spreadsheet or a binary.")


def decode(data):
    """The text of an uploaded CSV, in whichever common encoding it was saved."""
    return read_text(data)[0]


def read_text(data):
    """(text, encoding) of an uploaded CSV: UTF-8 (a BOM dropped) or UTF-16 by its byte
    order mark, else the encoding charset-normalizer finds most plausible of ENCODINGS."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(too_large_message(len(data), MAX_BYTES))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _text(data.decode("utf-16")), "utf_16"
        except UnicodeDecodeError:
            raise UnreadableFile(NOT_TEXT) from None
    if b"\x00" in data:
        raise UnreadableFile(NOT_TEXT)
    try:
        return _text(data.decode("utf-8-sig")), "utf_8"
    except UnicodeDecodeError:
        pass
    encoding = detect(data)
    if encoding is None:
        raise UnreadableFile(
            _(
                "We cannot tell how this file is encoded. "
                "In your spreadsheet, save it as “CSV UTF-8”."
            )
        )
    return _text(data.decode(encoding)), encoding


def _text(text):
    if not text.strip():
        raise UnreadableFile(_("This file is empty."))
    if "\x00" in text:
        raise UnreadableFile(NOT_TEXT)
    return text


def detect(data):
    """The most plausible of ENCODINGS for `data` (None: none reads it as text)."""
    matches = list(charset_normalizer.from_bytes(data, cp_isolation=ENCODINGS))
    if not matches:
        return None
    least = min(match.chaos for match in matches)
    plausible = [match for match in matches if match.chaos <= least + 0.01]
    for encoding in ENCODINGS:
        if any(encoding in match.could_be_from_charset for match in plausible):
            return encoding
    return plausible[0].encoding


def encoding_name(encoding):
    return str(ENCODING_NAMES.get(encoding, encoding))


def _key(header):
    return "".join(ch for ch in header.strip().lower() if ch not in " _-.")


def guess(header):
    """Each field's column index, as far as the header row's names tell."""
    found = {}
    for index, name in enumerate(header):
        for column, spellings in COLUMNS.items():
            if _key(name) in spellings and column not in found:
                found[column] = index
    return found


def _columns(header, chosen=None):
    """Map each field to its column index: as the examiner chose, else by the header's names
    in any order. ColumnsUnknown when a needed one is not found."""
    found = guess(header) if chosen is None else _valid_choice(header, chosen)
    missing = [str(LABELS[column]) for column in REQUIRED if column not in found]
    if missing:
        raise ColumnsUnknown(
            _(
                "The first row must name the columns: nickname, first name, last name and "
                "(optionally) email. Missing: %(missing)s."
            )
            % {"missing": ", ".join(missing)},
            header,
        )
    return found


def _valid_choice(header, chosen):
    """The examiner's choice, without columns the file does not have (it was changed)."""
    return {
        column: index
        for column, index in chosen.items()
        if column in COLUMNS and isinstance(index, int) and 0 <= index < len(header)
    }


DELIMITERS = (",", ";", "\t")


def _delimiter(first_line):
    """The separator the header row uses most: a comma, a semicolon (Excel in German or
    French) or a tab; a comma when it has none of them."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _reader(text):
    return csv.reader(io.StringIO(text), delimiter=_delimiter(text.split("\n", 1)[0]))


def head(text):
    """The file's first row and its first non-blank row after it, as their cells."""
    reader = _reader(text)
    try:
        header = next(reader, [])
        sample = next((cells for cells in reader if any(c.strip() for c in cells)), [])
    except csv.Error:
        return [], []
    return header, sample


def read(text, columns=None):
    """Every data row of the CSV text, each with the errors it has on its own; `columns`
    (field → column index) when the examiner chose them."""
    return _read(text, columns)[1]


def _read(text, chosen):
    """The header and every data row. The whole file is read before its columns are looked
    at, so a file too long or unreadable is refused as such whether or not its header row
    names the columns, before the examiner is asked to pick them."""
    header, lines = _lines(text)
    if not lines:
        raise UnreadableFile(NO_STUDENTS)
    columns = _columns(header, chosen)
    return header, [_row(line, cells, columns) for line, cells in lines]


def _lines(text):
    """The header row's cells, and (line number, cells) for each non-blank line after it."""
    reader = _reader(text)
    try:
        header = next(reader, None)
        if not header:
            raise UnreadableFile(_("This file is empty."))
        lines = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            lines.append((reader.line_num, cells))
            if len(lines) > MAX_ROWS:
                raise UnreadableFile(
                    _("This file has more than %(count)s students.")
                    % {"count": number_format(MAX_ROWS, force_grouping=True)}
                )
    except csv.Error as error:
        raise UnreadableFile(
            _("This is not a CSV file we can read (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from None
    return header, lines


def _row(line, cells, columns):
    values = {column: cells[index] for column, index in columns.items() if index < len(cells)}
    row = make_row(line, values)
    row.cells = cells
    return row


def make_row(line, values):
    """One roster row from its values (a CSV line's cells, or a student sent to the API),
    with the errors it has on its own."""
    row = Row(line=line)
    for column in COLUMNS:
        setattr(row, column, plain_text(values.get(column) or ""))
    for column in REQUIRED:
        if not getattr(row, column):
            row.errors.append(str(MISSING[column]))
    for column in COLUMNS:
        limit = Student._meta.get_field(column).max_length
        value = getattr(row, column)
        if len(value) > limit:
            row.errors.append(
                _("The %(column)s is too long (%(length)s characters; at most %(limit)s).")
                % {"column": LABELS[column], "length": len(value), "limit": limit}
            )
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not an email address.") % {"email": row.email})
    if row.language:
        row.language = language_code(row.language, row.errors)
    return row


def language_code(value, errors):
    """A row's language as settings.LANGUAGES names it: "de", "DE", "de-AT" or "Deutsch"
    are all "de". Anything else is the row's error."""
    names = {name.casefold(): code for code, name in settings.LANGUAGES}
    if value.casefold() in names:
        return names[value.casefold()]
    try:
        return get_supported_language_variant(value.replace("_", "-").lower())
    except LookupError:
        errors.append(
            _("“%(value)s” is not a language we offer. Use one of %(codes)s, or leave it empty.")
            % {"value": value, "codes": ", ".join(code for code, _name in settings.LANGUAGES)}
        )
        return value


def check(exam, rows):
    """Add the errors a row has only next to others: a nickname twice in the file, or one the
    exam already has. Nicknames compare by collation.nickname_key, as the student form and
    the database do."""
    taken = set(exam.students.values_list("nickname_key", flat=True))
    first_line = {}
    for row in rows:
        key = collation.nickname_key(row.nickname)
        if not key:
            continue
        if key in taken:
            row.errors.append(
                _("A student with nickname “%(nickname)s” is already in this exam.")
                % {"nickname": row.nickname}
            )
        elif key in first_line:
            row.errors.append(
                _("The nickname “%(nickname)s” is also on line %(line)s.")
                % {"nickname": row.nickname, "line": first_line[key]}
            )
        else:
            first_line[key] = row.line
    return rows


def preview(exam, text, columns=None):
    header, rows = _read(text, columns)
    return Preview(check(exam, rows), header)


def skipped_rows(result):
    """The rows that will not be imported, as the file had them, each with its problems
    after it: to fix in a spreadsheet and import again (the extra column is ignored then)."""
    yield [*result.header, _("problems")]
    for row in result.invalid_rows:
        yield [*row.cells, " ".join(str(error) for error in row.errors)]


TEMPLATE_ROWS = [
    ["nickname", "first name", "last name", "email"],
    ["s1024", "Ada", "Lovelace", "ada@example.edu"],
]


class AlreadyImported(Exception):
    """The pending import was confirmed or cancelled by another request first."""


def confirm(pending):
    """Import a pending file's valid rows and delete it, exactly once: the pending row is
    locked, so a second confirm (a double click) waits, then finds nothing to import."""
    with transaction.atomic():
        locked = StudentImport.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None:
            raise AlreadyImported
        result = import_students(pending.exam, locked.text, locked.columns)
        locked.delete()
    return result


class ImportConflict(Exception):
    """A nickname was taken between the preview and the import; nothing was imported."""


def import_students(exam, text, columns=None):
    """Parse `text` again, now, and create every valid row in one transaction. Returns the
    Preview that was imported. The unique constraint catches a nickname added meanwhile."""
    with transaction.atomic():
        result = preview(exam, text, columns)
        try:
            Student.objects.bulk_create(
                [row.student(exam) for row in result.valid_rows], batch_size=1000
            )
        except IntegrityError:
            raise ImportConflict(
                _(
                    "Someone added a student with one of these nicknames meanwhile; nothing "
                    "was imported. Please check the preview again."
                )
            ) from None
    return result


class RowsInvalid(Exception):
    """Some rows have errors, so none was created."""

    def __init__(self, rows):
        super().__init__(
            ngettext("%(count)d row has errors", "%(count)d rows have errors", len(rows))
            % {"count": len(rows)}
        )
        self.rows = rows


def create_all(exam, rows):
    """Create every row's student, or none: RowsInvalid lists the rows with errors, checked
    as the preview checks them (ImportConflict when a nickname was taken meanwhile)."""
    with transaction.atomic():
        invalid = [row for row in check(exam, rows) if not row.is_valid()]
        if invalid:
            raise RowsInvalid(invalid)
        try:
            return Student.objects.bulk_create([row.student(exam) for row in rows], batch_size=1000)
        except IntegrityError:
            raise ImportConflict(
                _(
                    "Someone added a student with one of these nicknames meanwhile; nothing "
                    "was imported. Please check the preview again."
                )
            ) from None

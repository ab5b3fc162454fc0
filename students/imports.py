"""Reading a roster from CSV: every row checked and explained, then one bulk insert."""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import get_supported_language_variant, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from students.models import Student, StudentImport
from students.text import plain_text
from submissions.validators import too_large_message

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000

# Header spellings we accept, normalised to lower case without spaces, dashes or underscores.
COLUMNS = {
    "nickname": {"nickname", "nick", "studentnumber", "studentid", "id", "username"},
    "first_name": {"firstname", "givenname", "forename", "first"},
    "last_name": {"lastname", "surname", "familyname", "last"},
    "email": {"email", "emailaddress", "mail", "e-mail"},
    "language": {"language", "sprache"},
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


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a roster; the message says why, for the examiner."""


@dataclass
class Row:
    line: int
    nickname: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    language: str = ""
    errors: list = field(default_factory=list)

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

    @property
    def valid_rows(self):
        return [row for row in self.rows if row.is_valid()]

    @property
    def invalid_rows(self):
        return [row for row in self.rows if not row.is_valid()]


def decode(data):
    """The text of an uploaded CSV: UTF-8 with or without a byte order mark."""
    if not data.strip():
        raise UnreadableFile(_("This file is empty."))
    if len(data) > MAX_BYTES:
        raise UnreadableFile(too_large_message(len(data), MAX_BYTES))
    if b"\x00" in data:
        raise UnreadableFile(_("This is not a CSV file: it looks like a spreadsheet or a binary."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _("This file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”.")
        ) from None


def _key(header):
    return "".join(ch for ch in header.strip().lower() if ch not in " _-.")


def _columns(header):
    """Map each field to its column index, whatever the order of the header row."""
    found = {}
    for index, name in enumerate(header):
        for column, spellings in COLUMNS.items():
            if _key(name) in spellings and column not in found:
                found[column] = index
    missing = [str(LABELS[column]) for column in REQUIRED if column not in found]
    if missing:
        raise UnreadableFile(
            _(
                "The first row must name the columns: nickname, first name, last name and "
                "(optionally) email. Missing: %(missing)s."
            )
            % {"missing": ", ".join(missing)}
        )
    return found


def _delimiter(first_line):
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read(text):
    """Every data row of the CSV text, each with the errors it has on its own."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first_line))
    try:
        header = next(reader, None)
        if not header:
            raise UnreadableFile(_("This file is empty."))
        columns = _columns(header)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row(reader.line_num, cells, columns))
            if len(rows) > MAX_ROWS:
                raise UnreadableFile(
                    _("This file has more than %(count)s students.")
                    % {"count": number_format(MAX_ROWS, force_grouping=True)}
                )
    except csv.Error as error:
        raise UnreadableFile(
            _("This is not a CSV file we can read (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise UnreadableFile(_("This file has a header row but no students."))
    return rows


def _row(line, cells, columns):
    values = {column: cells[index] for column, index in columns.items() if index < len(cells)}
    return make_row(line, values)


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
    exam already has. Nicknames compare without regard to case, as the student form does."""
    taken = {nickname.casefold() for nickname in exam.students.values_list("nickname", flat=True)}
    first_line = {}
    for row in rows:
        key = row.nickname.casefold()
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


def preview(exam, text):
    return Preview(check(exam, read(text)))


class AlreadyImported(Exception):
    """The pending import was confirmed or cancelled by another request first."""


def confirm(pending):
    """Import a pending file's valid rows and delete it, exactly once: the pending row is
    locked, so a second confirm (a double click) waits, then finds nothing to import."""
    with transaction.atomic():
        locked = StudentImport.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None:
            raise AlreadyImported
        result = import_students(pending.exam, locked.text)
        locked.delete()
    return result


class ImportConflict(Exception):
    """A nickname was taken between the preview and the import; nothing was imported."""


def import_students(exam, text):
    """Parse `text` again, now, and create every valid row in one transaction. Returns the
    Preview that was imported. The unique constraint catches a nickname added meanwhile."""
    with transaction.atomic():
        result = preview(exam, text)
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

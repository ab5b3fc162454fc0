"""Reading a roster from CSV: every row checked and explained, then one bulk insert."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

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
}
REQUIRED = ("nickname", "first_name", "last_name")
LABELS = {
    "nickname": "nickname",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
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
        raise UnreadableFile("This file is empty.")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(too_large_message(len(data), MAX_BYTES))
    if b"\x00" in data:
        raise UnreadableFile("This is not a CSV file: it looks like a spreadsheet or a binary.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "This file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."
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
    missing = [LABELS[column] for column in REQUIRED if column not in found]
    if missing:
        raise UnreadableFile(
            "The first row must name the columns: nickname, first name, last name and "
            f"(optionally) email. Missing: {', '.join(missing)}."
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
            raise UnreadableFile("This file is empty.")
        columns = _columns(header)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row(reader.line_num, cells, columns))
            if len(rows) > MAX_ROWS:
                raise UnreadableFile(f"This file has more than {MAX_ROWS:,} students.")
    except csv.Error as error:
        raise UnreadableFile(
            f"This is not a CSV file we can read (line {reader.line_num}: {error})."
        ) from None
    if not rows:
        raise UnreadableFile("This file has a header row but no students.")
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
            row.errors.append(f"The {LABELS[column]} is missing.")
    for column in COLUMNS:
        limit = Student._meta.get_field(column).max_length
        value = getattr(row, column)
        if len(value) > limit:
            row.errors.append(
                f"The {LABELS[column]} is too long ({len(value)} characters; at most {limit})."
            )
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(f"“{row.email}” is not an email address.")
    return row


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
            row.errors.append(f"A student with nickname “{row.nickname}” is already in this exam.")
        elif key in first_line:
            row.errors.append(f"The nickname “{row.nickname}” is also on line {first_line[key]}.")
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
                "Someone added a student with one of these nicknames meanwhile; nothing was "
                "imported. Please check the preview again."
            ) from None
    return result


class RowsInvalid(Exception):
    """Some rows have errors, so none was created."""

    def __init__(self, rows):
        super().__init__(f"{len(rows)} rows have errors")
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
                "Someone added a student with one of these nicknames meanwhile; nothing was "
                "imported. Please check the preview again."
            ) from None

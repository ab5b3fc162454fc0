"""What an examiner takes away: the roster as CSV, a sheet of QR slips, every file as one ZIP."""

import csv
import logging
import re
from typing import NamedTuple

import segno
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy, ngettext
from zipstream import ZIP_STORED, ZipStream

from depository import storage
from students import times
from students.models import event_model, submission_model

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024

# The headings are written in the examiner's language; the API's roster JSON takes its keys
# from the English ones (english_keys), so a script's keys never change with a language.
ROSTER_HEADER = [
    gettext_lazy("nickname"),
    gettext_lazy("first name"),
    gettext_lazy("last name"),
    gettext_lazy("email"),
    gettext_lazy("upload link"),
    gettext_lazy("uploads used"),
    gettext_lazy("uploads allowed"),
    gettext_lazy("due"),
    gettext_lazy("cut-off"),
    gettext_lazy("last upload"),
    gettext_lazy("late by"),
    gettext_lazy("file name"),
    gettext_lazy("size (bytes)"),
    "SHA-256",
    gettext_lazy("verification code"),
    gettext_lazy("file kept until"),
    # A two-step upload's fingerprint committed, its file not yet come: until when it may.
    gettext_lazy("committed, awaiting the file until"),
]
# The roster JSON's key of that column (api.v1 reads it as a time).
AWAITING_KEY = "committed_awaiting_the_file_until"
MANIFEST_HEADER = [
    gettext_lazy("nickname"),
    gettext_lazy("name"),
    gettext_lazy("file"),
    gettext_lazy("size (bytes)"),
    "SHA-256",
    gettext_lazy("accepted"),
    gettext_lazy("late by"),
    gettext_lazy("verification code"),
    gettext_lazy("file kept until"),
    gettext_lazy("missing"),
]
MANIFEST = "manifest.csv"
MANIFEST_SEMICOLON = "manifest-semicolon.csv"
MISSING = "MISSING.txt"
ARCHIVE_NOTES = {MANIFEST, MANIFEST_SEMICOLON, MISSING}


def english_keys(header):
    """The headings as written in English (the source language): stable names for a script."""
    with translation.override(None):
        return [str(heading) for heading in header]


def headings(header):
    """The headings in the active language."""
    return [str(heading) for heading in header]


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The cell as text a spreadsheet shows and never runs: formulas get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local_time(value):
    """A time in the active (the exam's) time zone, with its UTC offset: unambiguous."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(sep=" ", timespec="seconds")


def late_by(submission):
    return times.duration(submission.late_by) if submission and submission.is_late() else ""


def kept_until(submission):
    """The file's deletion date by the one rule (with_expiry), or why there is none."""
    if not submission or not submission.has_file():
        return ""
    return times.kept_until(submission, write=local_time)


class Echo:
    """A file-like object whose write() hands back the line, for csv.writer in a stream."""

    def write(self, value):
        return value


# What a roster export is separated by: a comma, or a semicolon for a spreadsheet whose
# locale writes decimals with a comma (Excel in German or French) and splits CSV on ";".
DELIMITERS = {"comma": ",", "semicolon": ";"}
BOM = "\ufeff"


def delimiter(name):
    """The separator a `?sep=` names; anything unknown is a comma."""
    return DELIMITERS.get(name, ",")


def csv_lines(rows, delimiter=","):
    writer = csv.writer(Echo(), delimiter=delimiter)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_file(rows, delimiter=","):
    """A whole CSV for a spreadsheet: a byte order mark first, so Excel reads it as UTF-8."""
    yield BOM
    yield from csv_lines(rows, delimiter)


def roster_rows(exam, students, link):
    """The roster CSV's rows; `link(student)` gives a student's absolute upload link.
    `students` come with their current submission and open commitment prefetched."""
    yield headings(ROSTER_HEADER)
    for student in students:
        submission = student.current_submission
        yield [
            student.nickname,
            student.first_name,
            student.last_name,
            student.email,
            link(student),
            student.uploads_used,
            student.max_uploads(),
            local_time(student.deadline()),
            local_time(student.cutoff()),
            local_time(submission.accepted_at) if submission else "",
            late_by(submission),
            submission.original_name if submission else "",
            submission.size if submission else "",
            submission.sha256 if submission else "",
            submission.display_code if submission else "",
            kept_until(submission),
            local_time(commitment.deliver_by) if (commitment := student.open_commitment) else "",
        ]


def qr_svg(url):
    """An inline SVG QR code of `url`, sized by CSS; no style attributes, so CSP is happy."""
    return segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr")


# --- Download all ---------------------------------------------------------------------


def archive_submissions(exam, students=None):
    """The current files of the exam's students (or of `students`, some of them)."""
    submissions = submission_model().objects.current().with_file().filter(student__exam=exam)
    if students is not None:
        submissions = submissions.filter(student__in=students.values("pk"))
    return submissions.with_expiry().select_related("student__exam").order_by("student__nickname")


def file_chunks(name):
    """The stored file's bytes, CHUNK_SIZE at a time: S3 bodies stream straight through.
    Nothing is asked of the storage until the first chunk is wanted."""
    if storage.is_s3():
        body = default_storage.open(name, "rb").obj.get()["Body"]
        yield from body.iter_chunks(CHUNK_SIZE)
        body.close()
        return
    with default_storage.open(name, "rb") as file:
        yield from file.chunks(CHUNK_SIZE)


class ZipFile(NamedTuple):
    submission: object
    name: str  # the entry's name in the archive
    size: int | None  # bytes in storage; None: the storage no longer has the file

    def is_missing(self):
        return self.size is None


def zip_files(exam, students=None):
    """What a ZIP of the exam's current files (or of `students`') holds, each with its entry
    name, `nickname_original-name`, and its size as the storage reports it. Asks the
    storage about every file before a byte is sent, so a storage that is down stops the
    download before it starts (StorageUnavailable), and files the storage no longer has are
    known, recorded on their submissions for the exam page, and named in the archive."""
    submissions = list(archive_submissions(exam, students))
    sizes = storage.stored_sizes(submission.file.name for submission in submissions)
    files = []
    used = {note.casefold() for note in ARCHIVE_NOTES}
    for submission, size in zip(submissions, sizes, strict=True):
        # One entry at the top of the archive, that unpacks under its name on any system.
        name = storage.safe_filename(
            f"{submission.student.nickname}_{submission.original_name}",
            portable=True,
            max_length=180,
        )
        while name.casefold() in used:
            name = f"{submission.pk}_{name}"
        used.add(name.casefold())
        files.append(ZipFile(submission, name, size))
    submission_model().objects.note_storage_check(
        missing=[f.submission.pk for f in files if f.is_missing()],
        present=[f.submission.pk for f in files if not f.is_missing()],
    )
    return files


def missing_note(missing):
    """MISSING.txt: which files the archive lacks, and why."""
    lines = [
        ngettext(
            "This file could not be put in the ZIP: the storage no longer has it. It was "
            "uploaded and recorded (its receipt and verification code stand), but its stored "
            "copy is gone. manifest.csv marks it as well.",
            "These %(count)d files could not be put in the ZIP: the storage no longer has "
            "them. They were uploaded and recorded (their receipts and verification codes "
            "stand), but their stored copies are gone. manifest.csv marks them as well.",
            len(missing),
        )
        % {"count": len(missing)},
        "",
    ]
    for file in missing:
        submission = file.submission
        lines.append(
            "\t".join(
                [
                    submission.student.nickname,
                    submission.student.full_name,
                    submission.original_name,
                    submission.display_code,
                    local_time(submission.accepted_at),
                ]
            )
        )
    return "\r\n".join(lines) + "\r\n"


def manifest_row(file):
    submission = file.submission
    return [
        submission.student.nickname,
        submission.student.full_name,
        file.name,
        submission.size,
        submission.sha256,
        local_time(submission.accepted_at),
        late_by(submission),
        submission.display_code,
        kept_until(submission),
        gettext("missing from storage: not in this ZIP") if file.is_missing() else "",
    ]


def zip_archive(files, by=None):
    """The archive of `files` (zip_files()): every stored file, manifest.csv listing them
    all, and MISSING.txt when the storage lacked any. Its length is known before it starts
    (a browser given it tells a download cut short from a finished one), and a storage
    failure while it streams raises, so the download fails rather than ending early as if
    complete. One chunk at a time is in memory, never the archive. With `by`, each file's
    download is logged with that examiner once the archive is written."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    present = [file for file in files if not file.is_missing()]
    missing = [file for file in files if file.is_missing()]
    for file in present:
        archive.add(file_chunks(file.submission.file.name), file.name, size=file.size)
    manifest = [headings(MANIFEST_HEADER), *(manifest_row(file) for file in files)]
    archive.add("".join(csv_lines(manifest)).encode("utf-8-sig"), MANIFEST)
    # The same for a spreadsheet that splits CSV on ";" (Excel in German or French).
    semicolon = "".join(csv_lines(manifest, DELIMITERS["semicolon"]))
    archive.add(semicolon.encode("utf-8-sig"), MANIFEST_SEMICOLON)
    if missing:
        archive.add(missing_note(missing).encode("utf-8-sig"), MISSING)
    return archive, _streamed(archive, [file.submission for file in present], by)


def _streamed(archive, written, by):
    try:
        yield from archive
    except storage.STORAGE_ERRORS + (RuntimeError,):
        # RuntimeError: zipstream's, for a file whose bytes did not match its stored size.
        log.exception("A ZIP download stopped: the storage failed while it was read")
        raise
    if by is not None:
        _log_downloads(written, by)


def file_name(exam, extension, what=""):
    """`Title-roster-2026-12-08.csv`: the exam's title made safe, what the file holds (if
    it says), today's date in the exam's zone."""
    title = re.sub(r"[^\w.-]+", "-", exam.title).strip("-.")[:60] or "exam"
    parts = [title, what, f"{timezone.localdate():%Y-%m-%d}"]
    return "-".join(part for part in parts if part) + f".{extension}"


def _log_downloads(submissions, by):
    detail = f"in a ZIP ({len(submissions)} in all)"
    Event = event_model()
    Event.objects.bulk_create(
        (
            Event(
                student_id=s.student_id,
                submission=s,
                kind=Event.Kind.DOWNLOAD,
                detail=detail,
                by=by,
            )
            for s in submissions
        ),
        batch_size=1000,
    )


def zip_name(exam, selected=False):
    return file_name(exam, "zip", "selected" if selected else "")


def zip_response(request, exam, filename, students=None):
    """The ZIP of the exam's files (or of `students`'), its length announced so a download
    cut short fails in the browser; a 503 page, before anything is sent, when the storage
    cannot be reached."""
    try:
        files = zip_files(exam, students)
    except storage.StorageUnavailable:
        response = render(request, "students/zip_unavailable.html", {"exam": exam}, status=503)
        response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
        return response
    archive, stream = zip_archive(files, by=request.user)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Length"] = len(archive)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response

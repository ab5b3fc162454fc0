"""Accepting an answer file: store it, record it, then let the old file go."""

import logging

from django.db import DatabaseError, IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from students import filetypes, times
from students.filetypes import MAKE_IT_SMALLER, too_large_message
from submissions import storage
from submissions.models import Event, Submission, UploadsExhausted, submission_key
from submissions.tasks import queue_receipt_after_commit

log = logging.getLogger(__name__)


class UploadRefused(Exception):
    def __init__(self, message, status):
        message = str(message)  # in the language of the request that is refused
        super().__init__(message)
        self.message = message
        self.status = status


NO_UPLOADS_LEFT = gettext_lazy(
    "You have used all your uploads, so this file was not stored. Your last submission stands."
)
EXAM_CLOSED = gettext_lazy(
    "Uploads for this exam are closed, so this file was not stored. Your last submission stands."
)
NOT_YET_OPEN = gettext_lazy(
    "Uploads for this exam open on %(opens)s. Nothing was stored and no upload was used: "
    "please come back then."
)
STATEMENT_MISSING = gettext_lazy(
    "Please tick “%(statement)s” to upload. Nothing was stored and no upload was used."
)
STORAGE_DOWN = gettext_lazy(
    "Our file storage is unavailable right now. Nothing was used up and your earlier "
    "submission is intact. Please try again in a minute."
)

DATABASE_DOWN = gettext_lazy(
    "We could not record your upload just now. Nothing was used up and your earlier "
    "submission is intact. Please try again in a minute."
)


def too_large(student, declared=None):
    """The refusal (413) of a body whose declared length (or, None, whose file as it arrived)
    is past the exam's limit, logged in the student's audit trail: for the page and the API."""
    limit = student.exam.max_upload_bytes
    size = too_large_message(declared or None, limit, approximate=True)
    log_refusal(student, size)
    message = " ".join(
        [size, gettext("Nothing was stored and no upload was used."), gettext(MAKE_IT_SMALLER)]
    )
    return UploadRefused(message, status=413)


def log_refusal(student, reason):
    """An upload refused, and why, in the student's audit trail: every way in logs it here."""
    Event.log(student, Event.Kind.UPLOAD_REFUSED, detail=str(reason))


def refusal_for(student, at=None):
    exam = student.exam
    if not exam.has_opened(at):
        opens = times.format_time(exam.opens_at, "long", exam.zone)
        return UploadRefused(NOT_YET_OPEN % {"opens": opens}, status=403)
    if not student.is_open(at):
        return UploadRefused(EXAM_CLOSED, status=403)
    return UploadRefused(NO_UPLOADS_LEFT, status=403)


def accept_upload(student, uploaded_file, form_token, at=None, statement_accepted=False):
    """
    Store the file first and record it second, so a failure at either step loses nothing:
    the file is only counted once its row is committed, and an object whose row could not
    be written is deleted again. Returns the new Submission (or, for a repeated post of the
    same form, the one that post already made). The rules are checked as of `at`, when the
    upload started (default: now), so a file that began arriving before the deadline counts.
    An exam with a submission statement takes a file only with `statement_accepted`.
    """
    # A repeated form needs an earlier upload. Before a first upload (most of a deadline
    # rush) there is none to look for; one racing in meanwhile meets form_token's unique
    # constraint in record(), below.
    if student.uploads_used and (repeat := _repeat_of(student, form_token)):
        return repeat
    if not student.can_upload(at):
        raise refusal_for(student, at)
    statement = student.exam.statement
    if statement and not statement_accepted:
        raise UploadRefused(STATEMENT_MISSING % {"statement": statement}, status=400)

    content_type = filetypes.content_type(uploaded_file)
    release_db_connection()  # not held while the file travels to storage
    try:
        key = storage.store(submission_key(), uploaded_file, uploaded_file.name, content_type)
    except storage.StorageUnavailable:
        log.exception("Storing an upload for student %s failed", student.pk)
        raise UploadRefused(STORAGE_DOWN, status=503) from None

    try:
        submission, previous = Submission.objects.record(
            student,
            key=key,
            original_name=uploaded_file.name,
            size=uploaded_file.size,
            sha256=uploaded_file.sha256,
            md5=getattr(uploaded_file, "md5", ""),
            content_type=content_type,
            form_token=form_token,
            statement=statement,
            at=at,
        )
    except UploadsExhausted:
        _discard(key)
        if repeat := _repeat_of(student, form_token):  # the same last form, posted twice
            return repeat
        raise refusal_for(student, at) from None
    except DatabaseError as error:
        _discard(key)
        # The same form, posted twice at once, meets form_token's unique constraint. Any
        # other error (a database that timed out) would only time out again looking.
        if isinstance(error, IntegrityError) and (repeat := _repeat_of(student, form_token)):
            return repeat
        log.exception("Recording an upload for student %s failed", student.pk)
        raise UploadRefused(DATABASE_DOWN, status=503) from None

    queue_receipt_after_commit(submission)
    if previous:
        discard_file(previous)
    return submission


def _repeat_of(student, form_token):
    """The submission this form already made, if it was posted before."""
    return Submission.objects.filter(student=student, form_token=form_token).first()


def release_db_connection():
    """Give the pooled database connection back while the request waits on the network
    (a slow body arriving, a file going to storage), so waiting uploads cannot hold the
    whole pool; the next query takes one again."""
    if not connection.in_atomic_block:
        connection.close()


def discard_file(submission):
    """Delete a submission's object and mark it gone; on failure leave it for reconcile."""
    if _discard(submission.file.name):
        Submission.objects.filter(pk=submission.pk).update(file_deleted_at=timezone.now())


def _discard(key):
    """Delete an object; when storage fails, log it for reconcile_storage and say so."""
    try:
        storage.delete(key)
    except storage.StorageUnavailable:
        log.exception("Could not delete %s; reconcile_storage will find it", key)
        return False
    return True

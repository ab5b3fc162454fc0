"""
The one upload pipeline. Every way a file comes in is a door of it, translating the
pipeline's outcome (a Submission, or an UploadRefused with its message, HTTP status and
machine code) into its own answer:

- the student's page without JavaScript, and the API's one-step upload: the body comes
  through the app (`receive`: the request's head judged before its body is read, the form's
  validators, then `accept_upload`);
- the two-step upload of the page with JavaScript and of the API: `commit` fixes the file by
  its fingerprint while uploads are open, its bytes go straight to storage (a presigned PUT,
  or `deliver` where storage cannot presign), and `complete` checks what storage holds and
  records it as of the commitment.

Every refusal is logged in the student's audit trail here, once, whichever door it came by.
"""

import logging

from django.conf import settings
from django.core.exceptions import TooManyFilesSent, ValidationError
from django.db import DatabaseError, IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from students import filetypes, times
from students.filetypes import MAKE_IT_SMALLER, too_large_message
from submissions import scans, storage
from submissions.models import (
    Commitment,
    CommitmentClosed,
    Event,
    Submission,
    TokenTaken,
    UploadsExhausted,
    submission_key,
)
from submissions.tasks import queue_receipt_after_commit
from submissions.uploadrequest import started_at, unreadable_body
from submissions.validators import AllowedTypesValidator, MaxFileSizeValidator

log = logging.getLogger(__name__)


class UploadRefused(Exception):
    """Why an upload was refused: `message` for the student, `status` for HTTP, `code` for a
    script, `form` (the page's bound form with its errors) when a form refused it."""

    def __init__(self, message, status, code, form=None):
        message = str(message)  # in the language of the request that is refused
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.form = form


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
# The two-step upload's own refusals.
TWO_STEP_OFF = gettext_lazy(
    "This exam takes files in one step: please send the file itself. Nothing was stored and "
    "no upload was used."
)
TOKEN_TAKEN = gettext_lazy(
    "This upload's key was already used for another file. Please start the upload again."
)
COMMITMENT_REPLACED = gettext_lazy(
    "A later file, chosen on this page in another tab or on another device, replaced this "
    "one, so it was not counted. Your last submission stands."
)
COMMITMENT_EXPIRED = gettext_lazy(
    "The time to send this file ended at %(deliver_by)s, so it was not counted. Your last "
    "submission stands."
)
NOT_DELIVERED = gettext_lazy(
    "Your file has not arrived yet, so nothing was counted. Please send it again: you can "
    "until %(deliver_by)s."
)
WRONG_BYTES = gettext_lazy(
    "What arrived is not the file you chose (%(what)s), so it was deleted and not counted; "
    "no upload was used. Please send “%(name)s” again: you can until %(deliver_by)s."
)


def log_refusal(student, reason):
    """An upload refused, and why, in the student's audit trail: every way in logs it here."""
    Event.log(student, Event.Kind.UPLOAD_REFUSED, detail=str(reason))


def _refused(student, message, status, code, form=None):
    log_refusal(student, message)
    return UploadRefused(message, status, code, form=form)


def too_large(student, declared=None):
    """The refusal (413) of a body whose declared length (or, None, whose file as it arrived)
    is past the exam's limit."""
    limit = student.exam.max_upload_bytes
    size = too_large_message(declared or None, limit, approximate=True)
    message = " ".join(
        [size, gettext("Nothing was stored and no upload was used."), gettext(MAKE_IT_SMALLER)]
    )
    return _refused(student, message, 413, "file_too_large")


def refusal_for(student, at=None):
    """Why `student` cannot upload as of `at` (the rules' order: not open yet, closed, no
    uploads left)."""
    exam = student.exam
    if not exam.has_opened(at):
        opens = times.format_time(exam.opens_at, "long", exam.zone)
        return _refused(student, NOT_YET_OPEN % {"opens": opens}, 403, "not_open_yet")
    if not student.is_open(at):
        return _refused(student, EXAM_CLOSED, 403, "exam_closed")
    return _refused(student, NO_UPLOADS_LEFT, 403, "no_uploads_left")


def _statement_refusal(student, statement_accepted):
    statement = student.exam.statement
    if statement and not statement_accepted:
        message = STATEMENT_MISSING % {"statement": statement}
        return _refused(student, message, 400, "statement_required")
    return None


# --- The body through the app: the page without JavaScript, the API's one-step upload ----


def receive(request, student, make_form):
    """
    Read, store and record the file posted in `request` for `student`; returns the
    Submission. Must run before anything reads the body: its declared length is judged first
    (411 without one, 413 past the exam's limit), the database connection goes back to the
    pool while it arrives, and `make_form()` (the door's UploadForm, bound to the request)
    validates it. The rules are judged as of when the upload started.
    """
    started = started_at(request)
    if unreadable := unreadable_body(request):
        raise _refused(student, unreadable, 411, "length_required")
    declared = int(request.META["CONTENT_LENGTH"])
    if declared > student.exam.max_upload_bytes + settings.UPLOAD_BODY_OVERHEAD:
        raise too_large(student, declared)
    request.upload_limit = student.exam.max_upload_bytes
    release_db_connection()  # a body can take minutes to arrive on a slow connection
    try:
        form = make_form()
        valid = form.is_valid()
    except TooManyFilesSent:
        message = scans.TOO_MANY_PAGES % {"max": scans.MAX_PAGES}
        raise _refused(student, message, 400, "too_many_files") from None
    if getattr(request, "upload_over_limit", False):
        raise too_large(student)
    if not valid:
        raise form_refusal(student, form)
    return accept_upload(
        student,
        form.cleaned_data["file"],
        form.cleaned_data["form_token"],
        at=started,
        statement_accepted=form.cleaned_data.get("statement", False),
    )


def form_refusal(student, form):
    """The refusal of a door's invalid form (its first error)."""
    too_big = form.has_error("file", "file_too_large") or form.has_error("size", "file_too_large")
    message = next(iter(form.errors.values()))[0]
    return _refused(student, message, 413 if too_big else 400, _form_code(form), form=form)


def _form_code(form):
    for field_errors in form.errors.as_data().values():
        for error in field_errors:
            if error.code:
                return error.code
    return "invalid"


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
    if refusal := _statement_refusal(student, statement_accepted):
        raise refusal

    content_type = filetypes.content_type(uploaded_file)
    release_db_connection()  # not held while the file travels to storage
    try:
        key = storage.store(submission_key(), uploaded_file, uploaded_file.name, content_type)
    except storage.StorageUnavailable:
        log.exception("Storing an upload for student %s failed", student.pk)
        raise _refused(student, STORAGE_DOWN, 503, "unavailable") from None
    return _record(
        student,
        key=key,
        original_name=uploaded_file.name,
        size=uploaded_file.size,
        sha256=uploaded_file.sha256,
        md5=getattr(uploaded_file, "md5", ""),
        content_type=content_type,
        form_token=form_token,
        statement=student.exam.statement,
        at=at,
    )


def _record(student, *, key, form_token, at, commitment=None, **facts):
    """record() the stored object `key`, then queue the receipt and let the previous file go.
    Whatever keeps it from being recorded deletes the object, except a database error on a
    commitment's object, which the student may complete again."""
    try:
        submission, previous = Submission.objects.record(
            student, key=key, form_token=form_token, at=at, commitment=commitment, **facts
        )
    except CommitmentClosed:
        if repeat := _repeat_of(student, form_token):  # completed twice at once
            return repeat
        raise _closed(student, commitment) from None
    except UploadsExhausted:
        if repeat := _made_before(student, form_token, key):  # the same last form, twice
            return repeat
        if commitment:
            commitment.close(Commitment.State.REFUSED)
        _discard(key)
        raise refusal_for(student, at) from None
    except DatabaseError as error:
        # The same form, posted twice at once, meets form_token's unique constraint. Any
        # other error (a database that timed out) would only time out again looking.
        if isinstance(error, IntegrityError) and (repeat := _made_before(student, form_token, key)):
            return repeat
        if commitment is None:
            _discard(key)
        log.exception("Recording an upload for student %s failed", student.pk)
        raise _refused(student, DATABASE_DOWN, 503, "unavailable") from None

    queue_receipt_after_commit(submission)
    if previous:
        discard_file(previous)
    return submission


def _made_before(student, form_token, key):
    """The submission an earlier post of the same form made, with `key` (this post's object)
    deleted unless it is that submission's own; None if there is none."""
    repeat = _repeat_of(student, form_token)
    if repeat and repeat.file.name != key:
        _discard(key)
    return repeat


def _repeat_of(student, form_token):
    """The submission this form already made, if it was posted before."""
    return Submission.objects.filter(student=student, form_token=form_token).first()


# --- Two steps: the fingerprint first, the bytes straight to storage ----------------------


def commit(student, *, token, sha256, size, name, statement_accepted=False, at=None):
    """
    Fix the file `student` will hand in by its fingerprint (SHA-256 and size) and name, as of
    `at` (default now): every rule is checked as of then (open, uploads left, size within the
    limit, type accepted by its name, statement ticked), and under the student's lock.
    Returns the Commitment; `delivery(commitment)` says where its bytes go. Committing the
    same file again returns the same commitment (see CommitmentQuerySet.commit): one that
    was delivered as it is (its completion answers its submission), one that can no longer
    take its file (expired, replaced) refused as its completion would be.
    """
    at = at or timezone.now()
    exam = student.exam
    if not exam.takes_commitments():
        raise _refused(student, TWO_STEP_OFF, 409, "two_step_off")
    try:
        MaxFileSizeValidator(exam.max_upload_bytes).check(size)
        AllowedTypesValidator(exam.allowed_extensions).check_name(name)
    except ValidationError as error:
        status = 413 if error.code == "file_too_large" else 400
        raise _refused(student, error.messages[0], status, error.code) from None
    if refusal := _statement_refusal(student, statement_accepted):
        raise refusal
    try:
        commitment, replaced = Commitment.objects.commit(
            student,
            token=token,
            sha256=sha256,
            size=size,
            name=name,
            content_type=filetypes.claimed_content_type(name),
            statement=exam.statement,
            at=at,
        )
    except UploadsExhausted:
        raise refusal_for(student, at) from None
    except TokenTaken:
        raise _refused(student, TOKEN_TAKEN, 422, "token_taken") from None
    except DatabaseError:
        log.exception("Recording a commitment for student %s failed", student.pk)
        raise _refused(student, DATABASE_DOWN, 503, "unavailable") from None
    if replaced:
        _discard(replaced.key)  # whatever of its bytes arrived
    if not commitment.submission_id and (refusal := _not_deliverable(student, commitment)):
        raise refusal
    return commitment


def delivery(commitment, upload_url):
    """Where the browser PUTs the bytes of an open commitment, and with which headers: a
    presigned URL of the bucket, good until the delivery window ends (at most
    PRESIGNED_PUT_SECONDS; committing again gives a fresh one), or `upload_url`, the app's
    own, where storage cannot presign (local files). Nowhere, (None, {}), for a commitment
    that is no longer open: nothing more can go there."""
    if not commitment.is_open():
        return None, {}
    if not storage.is_s3():
        return upload_url, {"Content-Type": commitment.content_type}
    left = (commitment.deliver_by - timezone.now()).total_seconds()
    seconds = max(1, min(int(left), settings.PRESIGNED_PUT_SECONDS))
    try:
        return storage.presigned_put(
            commitment.key,
            size=commitment.size,
            content_type=commitment.content_type,
            sha256=commitment.sha256,
            filename=commitment.original_name,
            seconds=seconds,
        )
    except storage.StorageUnavailable:
        log.exception("Presigning a PUT for student %s failed", commitment.student_id)
        raise _refused(commitment.student, STORAGE_DOWN, 503, "unavailable") from None


def deliver(student, commitment, stream, length):
    """The bytes of an open commitment, PUT to the app (storage that cannot presign), saved
    under its key. A body of another length than committed is refused, keeping nothing."""
    if refusal := _not_deliverable(student, commitment):
        raise refusal
    if length != commitment.size:
        raise _wrong_bytes(student, commitment, _sizes(length, commitment.size))
    release_db_connection()  # the body can take minutes to arrive
    try:
        saved = storage.save_delivered(commitment.key, stream, commitment.size)
    except storage.StorageUnavailable:
        log.exception("Storing a delivery for student %s failed", student.pk)
        raise _refused(student, STORAGE_DOWN, 503, "unavailable") from None
    if not saved:
        raise _wrong_bytes(student, commitment, gettext("it stopped before its end"))


def complete(student, commitment):
    """
    The bytes of `commitment` are in storage: check them (size, SHA-256, type by the first
    bytes) and record the upload as of the commitment's time. Returns the Submission (the
    same one when completed before). Bytes that do not match are deleted, nothing is
    counted, and the commitment stays open for the right file until its window ends.
    """
    if commitment.submission_id:
        return commitment.submission
    if refusal := _not_deliverable(student, commitment):
        raise refusal
    release_db_connection()  # not held while storage is asked
    try:
        found = storage.inspect(commitment.key)
    except storage.StorageUnavailable:
        log.exception("Checking a delivery for student %s failed", student.pk)
        raise _refused(student, STORAGE_DOWN, 503, "unavailable") from None
    if found is None:
        message = NOT_DELIVERED % {"deliver_by": _deliver_by(commitment)}
        raise _refused(student, message, 409, "not_delivered")
    if found.size != commitment.size:
        raise _wrong_bytes(student, commitment, _sizes(found.size, commitment.size))
    if found.sha256 != commitment.sha256:
        raise _wrong_bytes(student, commitment, gettext("its fingerprint differs"))
    try:
        AllowedTypesValidator(student.exam.allowed_extensions).check_content(
            commitment.original_name, found.head
        )
    except ValidationError as error:
        _discard(commitment.key)
        raise _refused(student, error.messages[0], 422, error.code) from None
    return _record(
        student,
        key=commitment.key,
        original_name=commitment.original_name,
        size=found.size,
        sha256=found.sha256,
        content_type=filetypes.content_type_of(commitment.original_name, found.head),
        form_token=commitment.token,
        statement=commitment.statement,
        at=commitment.committed_at,
        commitment=commitment,
    )


def _not_deliverable(student, commitment):
    """The refusal for bytes of a commitment that can no longer take them, else None."""
    if commitment.state == Commitment.State.OPEN and timezone.now() >= commitment.deliver_by:
        commitment.expire()
    if commitment.state == Commitment.State.OPEN:
        return None
    return _closed(student, commitment)


def _closed(student, commitment):
    """The refusal for a commitment that was replaced, refused or expired; whatever of its bytes
    arrived since is deleted (it can never be counted)."""
    commitment.refresh_from_db(fields=["state"])
    _discard(commitment.key)
    if commitment.state == Commitment.State.REFUSED:
        return refusal_for(student, commitment.committed_at)
    if commitment.state == Commitment.State.EXPIRED:
        message = COMMITMENT_EXPIRED % {"deliver_by": _deliver_by(commitment)}
        return _refused(student, message, 410, "commitment_expired")
    return _refused(student, COMMITMENT_REPLACED, 409, "commitment_replaced")


def _wrong_bytes(student, commitment, what):
    _discard(commitment.key)
    message = WRONG_BYTES % {
        "what": what,
        "name": commitment.original_name,
        "deliver_by": _deliver_by(commitment),
    }
    return _refused(student, message, 422, "delivery_mismatch")


def _sizes(found, committed):
    return gettext("%(found)s bytes instead of %(committed)s") % {
        "found": found,
        "committed": committed,
    }


def _deliver_by(commitment):
    exam = commitment.student.exam
    return times.format_time(commitment.deliver_by, "long", exam.zone)


# --- Shared by every door -------------------------------------------------------------------


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

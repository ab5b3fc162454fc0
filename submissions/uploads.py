"""Accepting an answer file: store it, record it, then let the old file go."""

import logging

from django.db import DatabaseError, connection
from django.utils import timezone

from submissions import filetypes, storage
from submissions.mail import queue_receipt_after_commit
from submissions.models import Submission, UploadsExhausted, submission_key

log = logging.getLogger(__name__)


class UploadRefused(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.message = message
        self.status = status


NO_UPLOADS_LEFT = (
    "You have used all your uploads, so this file was not stored. Your last submission stands."
)
EXAM_CLOSED = "This exam is closed, so this file was not stored. Your last submission stands."
STORAGE_DOWN = (
    "Our file storage is unavailable right now. Nothing was used up and your earlier "
    "submission is intact. Please try again in a minute."
)

DATABASE_DOWN = (
    "We could not record your upload just now. Nothing was used up and your earlier "
    "submission is intact. Please try again in a minute."
)


def refusal_for(student, at=None):
    if not student.is_open(at):
        return UploadRefused(EXAM_CLOSED, status=403)
    return UploadRefused(NO_UPLOADS_LEFT, status=403)


def accept_upload(student, uploaded_file, form_token, at=None):
    """
    Store the file first and record it second, so a failure at either step loses nothing:
    the file is only counted once its row is committed, and an object whose row could not
    be written is deleted again. Returns the new Submission (or, for a repeated post of the
    same form, the one that post already made). The rules are checked as of `at`, when the
    upload started (default: now), so a file that began arriving before the deadline counts.
    """
    # A repeated form needs an earlier upload. Before a first upload (most of a deadline
    # rush) there is none to look for; one racing in meanwhile meets form_token's unique
    # constraint in record(), below.
    if student.uploads_used and (repeat := _repeat_of(student, form_token)):
        return repeat
    if not student.can_upload(at):
        raise refusal_for(student, at)

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
            content_type=content_type,
            form_token=form_token,
            at=at,
        )
    except UploadsExhausted:
        _discard(key)
        if repeat := _repeat_of(student, form_token):  # the same last form, posted twice
            return repeat
        raise refusal_for(student, at) from None
    except DatabaseError:
        _discard(key)
        if repeat := _repeat_of(student, form_token):  # the same form, posted twice at once
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

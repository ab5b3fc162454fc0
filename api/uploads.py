"""
An upload through the API takes the page's path (submissions.views.upload): the body limit
is set and a declared length past it refused before a byte is read, the database connection
goes back to the pool while the body arrives, the file streams through the same upload
handler into the same UploadForm (size, type and emptiness validators), and it is stored
and recorded by the same accept_upload, under the same lock and rules.
"""

import hashlib
import secrets

from django.conf import settings
from django.utils.translation import gettext as _

from api.problems import RETRY_AFTER_SECONDS, Problem, not_found
from students import codes
from students.models import Student
from submissions import uploads
from submissions.forms import UploadForm
from submissions.uploadrequest import started_at, unreadable_body
from submissions.uploads import UploadRefused, accept_upload, release_db_connection

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64


def student_for_code(upload_code):
    """The student an upload code names; unknown, malformed and replaced codes alike 404."""
    if not codes.is_upload_code(upload_code):
        raise not_found()
    student = Student.objects.select_related("exam").filter(upload_code=upload_code).first()
    if student is None:
        raise not_found()
    return student


def too_large(student, declared=0):
    refusal = uploads.too_large(student, declared)
    return Problem(
        413,
        refusal.message,
        code="file_too_large",
        max_upload_bytes=student.exam.max_upload_bytes,
    )


def receive(request, student, *, md5=False):
    """
    Read the posted `file` of `request` for `student`, store and record it; returns the
    Submission. Must run before anything reads the body. Raises Problem: 411 without a
    Content-Length, 413 past the exam's limit, 422 for a file the form refuses (empty, wrong
    type), and accept_upload's refusals (no uploads left, closed, storage down) with their
    statuses. `md5`: compute the original service's MD5 in the same pass. The Submission
    comes without its kept-until (`with_expiry`): a caller that shows it reads it.
    """
    started = started_at(request)  # the deadline rules look at when the upload started
    if refusal := unreadable_body(request):
        uploads.log_refusal(student, refusal.message)
        raise Problem(refusal.status, refusal.message, code="length_required")
    declared = int(request.META["CONTENT_LENGTH"])
    if declared > student.exam.max_upload_bytes + settings.UPLOAD_BODY_OVERHEAD:
        raise too_large(student, declared)
    request.upload_limit = student.exam.max_upload_bytes
    request.upload_md5 = md5
    release_db_connection()  # a body can take minutes to arrive on a slow connection

    exam = student.exam
    form = UploadForm(
        {
            "form_token": form_token(request, student),
            "statement": request.POST.get("statement_accepted", ""),  # read as the page does
        },
        request.FILES,
        max_bytes=exam.max_upload_bytes,
        allowed_extensions=exam.allowed_extensions,
        statement=exam.statement,
    )
    if getattr(request, "upload_over_limit", False):
        raise too_large(student)
    if not form.is_valid():
        status = 413 if form.has_error("file", "file_too_large") else 422
        error = next(iter(form.errors.values()))[0]
        uploads.log_refusal(student, error)
        field = next(iter(form.errors))
        raise Problem(
            status,
            error,
            code=_form_code(form),
            errors=[{"field": "file" if field == "file" else IDEMPOTENCY_HEADER, "message": error}],
        )
    try:
        submission = accept_upload(
            student,
            form.cleaned_data["file"],
            form.cleaned_data["form_token"],
            at=started,
            statement_accepted=form.cleaned_data.get("statement", False),
        )
    except UploadRefused as refusal:
        uploads.log_refusal(student, refusal.message)
        # The storage or the database away: a script should try again after a while.
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if refusal.status == 503 else {}
        raise Problem(
            refusal.status,
            refusal.message,
            code=refusal_code(student, refusal, started),
            headers=headers,
        ) from None
    return submission


def form_token(request, student):
    """The page's one-time form token, from the client's Idempotency-Key: a retry with the
    same key is the same upload. Scoped to the student, since form tokens are unique across
    all submissions and two scripts may well both send "1"; none sent, a fresh one."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return secrets.token_urlsafe(24)
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            422,
            _("The Idempotency-Key header may have at most %(limit)d characters.")
            % {"limit": MAX_KEY_LENGTH},
            code="invalid",
            errors=[{"field": IDEMPOTENCY_HEADER, "message": "too long"}],
        )
    return hashlib.sha256(f"{student.pk}:{key}".encode()).hexdigest()


def refusal_code(student, refusal, at=None):
    if refusal.status >= 500:
        return "unavailable"
    if refusal.status == 400:
        return "statement_required"
    if not student.exam.has_opened(at):
        return "not_open_yet"
    if not student.is_open(at):
        return "exam_closed"
    return "no_uploads_left"


def _form_code(form):
    for field_errors in form.errors.as_data().values():
        for error in field_errors:
            if error.code:
                return error.code
    return "invalid"

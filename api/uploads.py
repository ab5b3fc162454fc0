"""
The API's doors of the one upload pipeline (submissions.uploads): the one-step upload, whose
body comes through the app as the page's form does (`receive`), and the two-step upload
(`commit`, `complete`). Each only translates the pipeline's outcome into a problem document.
"""

import hashlib
import secrets
from contextlib import contextmanager

from django.urls import reverse
from django.utils.translation import gettext as _

from api.problems import RETRY_AFTER_SECONDS, Problem, not_found
from students import codes
from students.models import Student
from submissions import uploads
from submissions.forms import CommitForm, UploadForm

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


def receive(request, student, *, md5=False):
    """
    Read the posted `file` of `request` for `student`, store and record it; returns the
    Submission. Must run before anything reads the body. Raises Problem with the pipeline's
    status and code (a form's refusal answers 422). `md5`: compute the original service's
    MD5 in the same pass. The Submission comes without its kept-until (`with_expiry`): a
    caller that shows it reads it.
    """
    request.upload_md5 = md5
    token = form_token(request, student)

    def make_form():
        data = {
            "form_token": token,
            "statement": request.POST.get("statement_accepted", ""),  # read as the page does
        }
        return UploadForm.for_exam(student.exam, data, request.FILES)

    with refusals(student):
        return uploads.receive(request, student, make_form)


def commit(request, student, *, sha256, size, name, statement_accepted):
    """The two-step upload's first step: the commitment, and where and how to PUT its bytes
    (url and headers; None and {} once it is no longer open). Checked as the page's is: the
    commit form first, then the pipeline's rules."""
    token = form_token(request, student)
    form = CommitForm(
        {
            "token": token,
            "sha256": sha256,
            "size": size,
            "name": name,
            "statement": "on" if statement_accepted else "",
        }
    )
    with refusals(student):
        if not form.is_valid():
            raise uploads.form_refusal(student, form)
        commitment = uploads.commit(student, **form.cleaned_data)
    return commitment, *delivery(request, student, commitment)


def delivery(request, student, commitment):
    """Where the bytes of `commitment` go, and with which headers (uploads.delivery): a
    presigned URL of the bucket, or the app's own address where storage cannot presign."""
    deliver_to = reverse("submissions:deliver", args=[student.upload_code, commitment.token])
    with refusals(student):
        return uploads.delivery(commitment, request.build_absolute_uri(deliver_to))


def commitment_for(student, token):
    """The student's commitment `token` names, or 404."""
    commitment = student.commitments.select_related("submission").filter(token=token).first()
    if commitment is None:
        raise not_found()
    commitment.student = student
    return commitment


def complete(student, commitment):
    """The two-step upload's last step: (the Submission, whether this call recorded it)."""
    recorded_before = commitment.submission_id
    with refusals(student):
        submission = uploads.complete(student, commitment)
    return submission, not recorded_before and commitment.submission_id == submission.pk


# The API names a form's fields as its requests do: the forms' token is its key.
FIELDS = {"form_token": IDEMPOTENCY_HEADER, "token": IDEMPOTENCY_HEADER}
# A file the exam's rules refuse answers 422 in the API, whichever check found it (the
# page's form answers 400): the one-step upload's form, or the commitment's check of a name.
UNPROCESSABLE = {"file_type_not_allowed"}


@contextmanager
def refusals(student):
    """The pipeline's refusals as problem documents: a form's answers 422 (the page's 400),
    the storage or the database away 503 with Retry-After."""
    try:
        yield
    except uploads.UploadRefused as refusal:
        status, extra = refusal.status, {}
        if refusal.form is not None:
            field = next(iter(refusal.form.errors))
            status = 413 if status == 413 else 422
            extra["errors"] = [{"field": FIELDS.get(field, field), "message": refusal.message}]
        elif refusal.code in UNPROCESSABLE:
            status = 422
        if status == 413:
            extra["max_upload_bytes"] = student.exam.max_upload_bytes
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
        raise Problem(
            status, refusal.message, code=refusal.code, headers=headers, **extra
        ) from None


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

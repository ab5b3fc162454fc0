"""/api/v1/: exams, rosters and audit trails for an examiner's token; uploads, upload status
and verification by code for anyone holding the code, as on the pages."""

import re
from datetime import datetime

from django.core.paginator import Paginator
from django.db import IntegrityError
from django.forms.models import model_to_dict
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Schema, Status
from pydantic import Field

from api import access, schemas
from api.auth import bearer, require_unbound, require_write
from api.forms import ApiExamForm
from api.openapi import ProblemAPI, codes
from api.problems import RETRY_AFTER_SECONDS, Problem, ProblemOut, form_problem, not_found
from api.throttle import code_endpoint
from api.uploads import (
    IDEMPOTENCY_HEADER,
    commit,
    commitment_for,
    complete,
    delivery,
    receive,
    student_for_code,
)
from students import exports, imports, removal, tasks, times
from students.forms import ExtensionForm, RosterForm, StudentForm
from students.models import Exam, ExaminerProfile, Mail, Student
from submissions import codes as verification_codes
from submissions import receipts
from submissions.models import Submission

api = ProblemAPI(
    title="Exam Depository API",
    version="1",
    urls_namespace="api-v1",
    description=(
        "Exams, rosters and audit trails for an examiner's API token "
        "(`Authorization: Bearer <token>`, made on the API tokens page); uploads, upload "
        "status and verification by code without a token, as on the pages. Errors are "
        "RFC 9457 problem details."
    ),
    auth=bearer,
)

# Every operation may also answer 422 for a malformed path or query parameter, and one that
# takes a body 400 for unreadable JSON and 413 for a body past DATA_UPLOAD_MAX_MEMORY_SIZE.
READ = codes(401, 404, 422)
WRITE = codes(400, 401, 403, 404, 409, 413, 422)
PUBLIC = codes(404, 422, 429)


def _exam_form(data, instance):
    form = ApiExamForm(data, instance=instance)
    if not form.is_valid():
        raise form_problem(form)
    return form.save()


# --- Exams ----------------------------------------------------------------------------


@api.get("/exams", response={200: list[schemas.ExamOut], codes(401): ProblemOut}, tags=["exams"])
def list_exams(request):
    """Your exams (only the one a bound token is bound to), newest first."""
    return access.exams(request)


@api.post(
    "/exams",
    response={201: schemas.ExamOut, codes(400, 401, 403, 413, 422): ProblemOut},
    tags=["exams"],
)
def create_exam(request, payload: schemas.ExamIn):
    require_write(request)
    require_unbound(request)
    data = payload.dict()
    exam = Exam.new_for(request.auth.user)
    defaulted = ("language", "max_upload_bytes", "max_uploads", "delivery_minutes")
    for name in (*defaulted, "time_zone", "retention_days"):
        if data[name] is None:
            data[name] = getattr(exam, name)
    return Status(201, _exam_form(data, exam))


@api.get("/exams/{exam_id}", response={200: schemas.ExamOut, READ: ProblemOut}, tags=["exams"])
def get_exam(request, exam_id: int):
    return access.exam(request, exam_id)


@api.patch("/exams/{exam_id}", response={200: schemas.ExamOut, WRITE: ProblemOut}, tags=["exams"])
def update_exam(request, exam_id: int, payload: schemas.ExamPatch):
    """Change only the fields sent; `closes_at: null` takes the deadline away."""
    exam = access.exam_to_change(request, exam_id)
    data = model_to_dict(exam, fields=ApiExamForm._meta.fields)
    data.update(payload.dict(exclude_unset=True))
    return _exam_form(data, exam)


# --- Students -------------------------------------------------------------------------


class RosterQuery(Schema):
    q: str = Field("", max_length=100, description="Every word in a name, nickname or email.")
    show: str = Field("", pattern="^(|submitted|waiting|no_uploads_left)$")
    sort: str = Field("", pattern="^(|-name|-last_upload|last_upload)$")
    page: int = Field(1, ge=1, le=1_000_000)


@api.get(
    "/exams/{exam_id}/students",
    response={200: schemas.StudentPage, READ: ProblemOut},
    tags=["students"],
)
def list_students(request, exam_id: int, query: Query[RosterQuery]):
    """The roster page's search, filter (`show`) and order (`sort`), 50 students a page."""
    exam = access.exam(request, exam_id)
    roster = RosterForm(query.dict())
    students = (
        roster.students(exam)
        .select_related("exam")
        .with_current_submission()
        .with_open_commitment()
    )
    paginator = Paginator(students, RosterForm.PAGE_SIZE)
    page = paginator.get_page(query.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "page_size": RosterForm.PAGE_SIZE,
        "results": list(page.object_list),
    }


def _create_student(exam, data):
    form = StudentForm(data, instance=Student(exam=exam))
    if not form.is_valid():
        raise form_problem(form)
    try:
        return form.save()
    except IntegrityError:
        raise Problem(
            422,
            _("A student with this nickname is already in this exam."),
            code="nickname_taken",
            errors=[{"field": "nickname", "message": "taken"}],
        ) from None


@api.post(
    "/exams/{exam_id}/students",
    response={201: schemas.StudentOut, WRITE: ProblemOut},
    tags=["students"],
)
def create_student(request, exam_id: int, payload: schemas.StudentIn):
    exam = access.exam_to_change(request, exam_id)
    return Status(201, _create_student(exam, payload.dict()))


@api.post(
    "/exams/{exam_id}/students/bulk",
    response={201: schemas.BulkOut, WRITE: ProblemOut},
    tags=["students"],
)
def create_students(request, exam_id: int, payload: schemas.BulkIn):
    """All or nothing: every row is checked as the CSV import's preview checks it (missing
    fields, bad email, too long, a nickname twice or already in the exam); one bad row and
    none is created, and the answer lists every bad row with its errors."""
    exam = access.exam_to_change(request, exam_id)
    rows = [imports.make_row(n, row.dict()) for n, row in enumerate(payload.students, start=1)]
    try:
        created = imports.create_all(exam, rows)
    except imports.RowsInvalid as invalid:
        raise Problem(
            422,
            _("%(count)d of %(total)d students have errors, so none was added.")
            % {"count": len(invalid.rows), "total": len(rows)},
            code="invalid_rows",
            rows=[
                {"row": row.line, "nickname": row.nickname, "errors": row.errors}
                for row in invalid.rows
            ],
        ) from None
    except imports.ImportConflict as conflict:
        raise Problem(409, str(conflict), code="nickname_taken") from None
    for student in created:
        student.exam = exam
        student.current_submissions = student.open_commitments = []
    return Status(201, {"created": len(created), "students": created})


@api.get(
    "/exams/{exam_id}/students/{student_id}",
    response={200: schemas.StudentOut, READ: ProblemOut},
    tags=["students"],
)
def get_student(request, exam_id: int, student_id: int):
    return access.student(request, exam_id, student_id)


@api.patch(
    "/exams/{exam_id}/students/{student_id}",
    response={200: schemas.StudentOut, WRITE: ProblemOut},
    tags=["students"],
)
def update_student(request, exam_id: int, student_id: int, payload: schemas.StudentPatch):
    """Change only the fields sent; `extended_until` is the student's own, later deadline
    (`null` takes it away)."""
    student = access.student_to_change(request, exam_id, student_id)
    changes = payload.dict(exclude_unset=True)
    extension = None
    if "extended_until" in changes:
        extension = ExtensionForm(
            {"extended_until": changes.pop("extended_until")}, instance=student
        )
        if not extension.is_valid():
            raise form_problem(extension)
    data = model_to_dict(student, fields=StudentForm._meta.fields)
    data.update(changes)
    form = StudentForm(data, instance=student)
    if not form.is_valid():
        raise form_problem(form)
    if changes:
        form.save()
    if extension is not None:
        student.extend_deadline(extension.cleaned_data["extended_until"], by=request.auth.user)
        if student.extended_until:
            tasks.notify_students(Mail.Kind.EXTENSION, Student.objects.filter(pk=student.pk))
    return student


@api.delete(
    "/exams/{exam_id}/students/{student_id}",
    response={204: None, READ | codes(403, 409, 503): ProblemOut},
    tags=["students"],
)
def remove_student(request, exam_id: int, student_id: int):
    """Remove the student as the dashboard does: their stored files are deleted from storage
    first, then their submissions, audit trail and row. 409 while the exam is archived; 503
    when the storage cannot be reached, and then nothing that still has a file is gone, so
    the same request can simply be sent again."""
    student = access.student_to_change(request, exam_id, student_id)
    try:
        removal.remove_student(student)
    except removal.StorageUnavailable:
        raise Problem(
            503,
            removal.STORAGE_FAILED,
            code="storage_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    return Status(204, None)


@api.get(
    "/exams/{exam_id}/students/{student_id}/events",
    response={200: list[schemas.EventOut], READ: ProblemOut},
    tags=["students"],
)
def student_events(request, exam_id: int, student_id: int):
    """The student's audit trail, newest first (the last 200, as on their page)."""
    student = access.student(request, exam_id, student_id)
    return student.events.all()[:200]


@api.get(
    "/exams/{exam_id}/students/{student_id}/submissions",
    response={200: list[schemas.SubmissionOut], READ: ProblemOut},
    tags=["submissions"],
)
def student_submissions(request, exam_id: int, student_id: int):
    student = access.student(request, exam_id, student_id)
    return student.submissions.with_expiry()


@api.get(
    "/exams/{exam_id}/students/{student_id}/submissions/{submission_id}/download-url",
    response={200: schemas.DownloadOut, READ | codes(410): ProblemOut},
    tags=["submissions"],
)
def submission_download_url(request, exam_id: int, student_id: int, submission_id: int):
    """A download URL for any of your students' submissions while its file is kept."""
    submission = access.submission(request, exam_id, student_id, submission_id)
    if not submission.has_file():
        raise Problem(410, _("This file was deleted; its checksum stays."), code="file_deleted")
    by = f"by examiner {request.auth.user} (API token {request.auth.prefix})"
    return schemas.download(request, submission, by)


# --- Roster export --------------------------------------------------------------------


def _roster_rows(request, exam):
    students = RosterForm({}).students(exam).select_related("exam")
    students = students.with_current_submission().with_open_commitment()

    def link(student):
        return request.build_absolute_uri(student.get_upload_url())

    # Times in exports are written in the examiner's zone, as on the dashboard.
    times.activate(ExaminerProfile.time_zone_of(request.auth.user))
    return exports.roster_rows(exam, students.iterator(chunk_size=1000), link)


def _key(header):
    return {"sha_256": "sha256"}.get(k := re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_"), k)


@api.get(
    "/exams/{exam_id}/roster",
    response={200: list[dict], READ: ProblemOut},
    tags=["exams"],
)
def roster_json(request, exam_id: int):
    """The roster CSV's columns for every student, as JSON objects (empty cells are null)."""
    exam = access.exam(request, exam_id)
    rows = _roster_rows(request, exam)
    next(rows)  # the headings, in the request's language; the keys are the English ones
    keys = [_key(header) for header in exports.english_keys(exports.ROSTER_HEADER)]
    return [
        {key: _json_value(key, value) for key, value in zip(keys, row, strict=True)} for row in rows
    ]


ROSTER_TIMES = {"due", "cut_off", "last_upload", "file_kept_until", exports.AWAITING_KEY}


def _json_value(key, value):
    """A roster cell as JSON: empty is null, a time is written as every answer writes one
    (the CSV's local time with offset, for a spreadsheet, becomes UTC: schemas.utc_time)."""
    if value == "":
        return None
    if key in ROSTER_TIMES:
        try:
            return schemas.utc_time(datetime.fromisoformat(value))
        except ValueError:
            return value  # "3 days after uploads close": no time yet
    return value


@api.get(
    "/exams/{exam_id}/roster.csv",
    response={200: str, READ: ProblemOut},
    tags=["exams"],
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def roster_csv(request, exam_id: int):
    """The same file as the exam page's Roster (CSV)."""
    exam = access.exam(request, exam_id)
    response = StreamingHttpResponse(
        exports.csv_file(_roster_rows(request, exam)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exports.file_name(exam, "csv", "roster")
    )
    return response


# --- Public: by code ------------------------------------------------------------------

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 64},
}

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    },
    "parameters": [
        {
            **IDEMPOTENCY_PARAMETER,
            "description": (
                "Send the same key again (a retry after a lost answer) and the first "
                "upload's receipt comes back instead of using a second upload."
            ),
        }
    ],
}


def _status(student):
    return {
        "exam_title": student.exam.title,
        "nickname": student.nickname,
        "deadline": student.deadline(),
        "is_open": student.is_open(),
        "can_upload": student.can_upload(),
        "uploads_used": student.uploads_used,
        "uploads_left": student.uploads_left(),
        "max_uploads": student.max_uploads(),
        "max_upload_bytes": student.exam.max_upload_bytes,
        "allowed_extensions": student.exam.allowed_extensions,
        "delivery_minutes": student.exam.delivery_minutes,
        "current_submission": student.current_submission,
        "committed": student.open_commitment,
    }


@api.get(
    "/uploads/{upload_code}",
    auth=None,
    response={200: schemas.UploadStatusOut, PUBLIC: ProblemOut},
    tags=["public"],
)
@code_endpoint
def upload_status(request, upload_code: str):
    """What the student's personal page shows: deadline, uploads left, current file."""
    return _status(student_for_code(upload_code))


@api.post(
    "/uploads/{upload_code}",
    auth=None,
    response={201: schemas.UploadOut, PUBLIC | codes(403, 411, 413, 503): ProblemOut},
    tags=["public"],
    openapi_extra=UPLOAD_BODY,
)
@code_endpoint
def upload(request, upload_code: str):
    """Upload the student's answer (multipart field `file`), by the same rules as the page:
    the exam's size limit (a larger declared body is refused before it is read), file
    types, deadline and uploads left; each upload replaces the previous file."""
    student = student_for_code(upload_code)
    submission = Submission.objects.with_expiry().get(pk=receive(request, student).pk)
    student.refresh_from_db(fields=["uploads_used"])
    return Status(201, {"submission": submission, "uploads_left": student.uploads_left()})


# --- Public: the two-step upload ------------------------------------------------------

TWO_STEP = """
The two-step upload fixes the file first and sends its bytes straight to storage, so a
connection that fails near the deadline does not make the student late:

1. **Commit** (`POST /uploads/{upload_code}/commitments`): the file's SHA-256, size and
   name. Every rule is checked then, as the one-step upload checks it: the exam is open,
   uploads are left, the size is within `max_upload_bytes`, the type (by the name) is one
   the exam takes, the statement is accepted. The upload counts as of that moment
   (`committed_at`), lateness included.
2. **PUT** the file's exact bytes to `put_url`, sending every header of `put_headers`
   unchanged (`Content-Type`, `Content-Disposition`, `x-amz-checksum-sha256`). On S3 or R2
   the URL is presigned with the length and the checksum signed in: storage itself refuses
   a body of another length or other content (403 or 400, in S3's XML), and the URL lapses
   by `deliver_by`; commit the same file again for a fresh one. On local storage `put_url`
   is the app's own address, which takes the PUT itself and answers 204 (422 for a body of
   another length).
3. **Complete** (`POST complete_url`): what storage holds is checked (size, SHA-256, type
   by its first bytes) and recorded as the student's submission, as of `committed_at`.

The bytes may follow until `deliver_by`, the exam's `delivery_minutes` after the commitment;
then the commitment expires and whatever arrived is deleted. A student has at most one
open commitment: committing another file replaces it, as does an upload in one step.
"""

COMMIT_DESCRIPTION = (
    TWO_STEP
    + """
Committing the same file again (the same `Idempotency-Key`, or without one the same SHA-256
and size while its commitment is open) answers that commitment again, 201, with a fresh
`put_url`; the same key with another file answers 422 `token_taken`, and the key of a
commitment that ended answers as its completion would (409, 410).

Refusals (`code`): 400 `statement_required`; 403 `not_open_yet`, `exam_closed`,
`no_uploads_left`; 409 `two_step_off` (the exam's `delivery_minutes` is 0: send the file in
one step); 413 `file_too_large` (with `max_upload_bytes`); 422 `empty`,
`file_type_not_allowed`, `token_taken`, `invalid` (with `errors` naming the field); 503
`unavailable`, with Retry-After.
"""
)


def _commitment(request, student, commitment, url, headers):
    complete_url = reverse(
        "api-v1:commitment_complete",
        kwargs={"upload_code": student.upload_code, "token": commitment.token},
    )
    return {
        "token": commitment.token,
        "state": commitment.state,
        "original_name": commitment.original_name,
        "size": commitment.size,
        "sha256": commitment.sha256,
        "committed_at": commitment.committed_at,
        "deliver_by": commitment.deliver_by,
        "put_url": url,
        "put_headers": headers,
        "complete_url": request.build_absolute_uri(complete_url),
    }


@api.post(
    "/uploads/{upload_code}/commitments",
    auth=None,
    response={
        201: schemas.CommitmentOut,
        PUBLIC | codes(400, 403, 409, 410, 413, 503): ProblemOut,
    },
    tags=["public"],
    summary="Commit a file by its fingerprint (two-step upload, step 1)",
    description=COMMIT_DESCRIPTION,
    openapi_extra={
        "parameters": [
            {
                **IDEMPOTENCY_PARAMETER,
                "description": (
                    "Send the same key again (a retry after a lost answer) and the same "
                    "commitment comes back. It names the commitment's `token`."
                ),
            }
        ]
    },
)
@code_endpoint
def create_commitment(request, upload_code: str, payload: schemas.CommitmentIn):
    student = student_for_code(upload_code)
    commitment, url, headers = commit(request, student, **payload.dict())
    return Status(201, _commitment(request, student, commitment, url, headers))


@api.get(
    "/uploads/{upload_code}/commitments/{token}",
    auth=None,
    response={200: schemas.CommitmentOut, PUBLIC | codes(503): ProblemOut},
    tags=["public"],
    summary="A commitment's state (two-step upload)",
    description=(
        "The commitment as it stands: open (with a fresh `put_url`), delivered, replaced, "
        "refused or expired. One whose window has ended is expired here, as the clock would."
    ),
)
@code_endpoint
def commitment_state(request, upload_code: str, token: str):
    student = student_for_code(upload_code)
    commitment = commitment_for(student, token)
    if commitment.is_open() and not commitment.is_deliverable():
        commitment.expire()
    return _commitment(request, student, commitment, *delivery(request, student, commitment))


@api.post(
    "/uploads/{upload_code}/commitments/{token}/complete",
    auth=None,
    url_name="commitment_complete",
    response={
        201: schemas.UploadOut,
        200: schemas.UploadOut,
        PUBLIC | codes(403, 409, 410, 503): ProblemOut,
    },
    tags=["public"],
    summary="Complete a two-step upload (step 3): check the bytes and record them",
    description=TWO_STEP
    + """
201 with the submission (as the one-step upload answers it) when this call recorded it; 200
with the same submission when it was recorded before (a retry after a lost answer): the
upload counts once however often it is completed.

Refusals (`code`): 409 `not_delivered` (nothing has arrived yet: PUT, then complete, until
`deliver_by`); 422 `delivery_mismatch` (what arrived is not the committed file: it is
deleted and the commitment stays open for the right bytes) and `file_content_mismatch`
(the content is not the type its name says: deleted); 409 `commitment_replaced` (a later
file took its place); 410 `commitment_expired` (its window ended); 403 `no_uploads_left`,
`exam_closed` (by the time it was recorded); 503 `unavailable` with Retry-After (storage or
the database could not be asked: nothing was counted; complete again).
""",
)
@code_endpoint
def complete_commitment(request, upload_code: str, token: str):
    student = student_for_code(upload_code)
    submission, recorded = complete(student, commitment_for(student, token))
    submission = Submission.objects.with_expiry().get(pk=submission.pk)
    student.refresh_from_db(fields=["uploads_used"])
    answer = {"submission": submission, "uploads_left": student.uploads_left()}
    return Status(201 if recorded else 200, answer)


@api.get(
    "/verifications/{verification_code}",
    auth=None,
    response={200: schemas.VerificationOut, PUBLIC: ProblemOut},
    tags=["public"],
)
@code_endpoint
def verification(request, verification_code: str):
    """What the verification page shows for a code, with a short-lived download URL while
    the file is current and kept. Dashes, spaces and case do not matter."""
    code = verification_codes.normalize(verification_code)
    submission = (
        Submission.objects.with_expiry()
        .select_related("student__exam")
        .filter(verification_code=code)
        .first()
        if code
        else None
    )
    if submission is None:
        raise not_found()
    submission.log_lookup()
    available = submission.is_current() and submission.has_file()
    link = (
        schemas.download(request, submission, "link by verification code (API)")
        if available
        else None
    )
    return {
        "verification_code": submission.display_code,
        "exam_title": submission.student.exam.title,
        "student_name": None
        if submission.student.name_is_hidden()
        else submission.student.full_name,
        "original_name": submission.original_name,
        "size": submission.size,
        "sha256": submission.sha256,
        "md5": submission.md5 or None,
        "accepted_at": submission.accepted_at,
        "is_current": submission.is_current(),
        "superseded_at": submission.superseded_at,
        "file_deleted_at": submission.file_deleted_at,
        "file_available": available,
        **(link or {"download_url": None, "download_url_expires_in_seconds": None}),
        "signed_receipt": receipts.receipt_file(submission),
    }

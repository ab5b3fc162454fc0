"""
/api/v0/: the original service's routes, with its JSON field names, shapes and status codes,
so scripts written for it keep working: 201 on create, 422 for a duplicate nickname and for
"Submissions count limit exceeded", 413 too large, 404 unknown. The examiner's routes act on
the exam their token is bound to. Errors are problem details whose `detail` is the original's
text (its clients read `detail`); `message` says the same for a person, as the pages do.
The original's /auth/token, which handed its secret to anyone, answers 410 with a problem
document saying where tokens come from now; GET / answers "pong", as the original's did.
One answer the original never gave: 409 for a new student in an archived exam, as in v1.
"""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Schema, Status

from api import access, schemas
from api.auth import bearer
from api.openapi import ProblemAPI, codes
from api.problems import Problem, ProblemOut
from api.throttle import code_endpoint
from api.uploads import receive, student_for_code
from api.v1 import UPLOAD_BODY, _create_student
from students.models import Student
from submissions import codes as verification_codes
from submissions.models import Submission

api = ProblemAPI(
    title="Exam Depository API, original routes",
    version="0",
    urls_namespace="api-v0",
    description=(
        "The original service's routes and JSON, for its existing clients. The examiner's "
        "routes need a token bound to one exam. New scripts should use /api/v1/."
    ),
    auth=bearer,
)


class SubmissionV0(Schema):
    file_name: str
    md5: str
    size_bytes: int
    verification_code: str
    created_at: datetime


class StudentV0(Schema):
    id: int
    nickname: str
    first_name: str
    last_name: str
    email: str
    upload_code: str
    has_submission: bool
    last_submission: SubmissionV0 | None
    created_at: datetime


class StudentCreateV0(schemas.ObjectIn):
    nickname: schemas.Text
    first_name: schemas.Text
    last_name: schemas.Text
    email: schemas.Text


class Totals(Schema):
    total_students: int
    total_submissions: int


class SubmissionSummaryV0(Schema):
    created_at: datetime
    verification_code: str


class StudentSummaryV0(Schema):
    nickname: str
    first_name: str
    last_name: str
    has_submission: bool
    last_submission: SubmissionSummaryV0 | None


class StudentsSubmissionsList(Schema):
    totals: Totals
    students: list[StudentSummaryV0]


class SubmissionMetadataV0(Schema):
    md5: str
    size_bytes: int
    verification_code: str
    created_at: datetime


class UploadCompletion(Schema):
    uploads_available: int
    has_submission: bool
    last_submission: SubmissionMetadataV0 | None


class DownloadUrl(Schema):
    download_url: str
    expires_seconds: int


def _submission(submission):
    if submission is None:
        return None
    return {
        "file_name": submission.original_name,
        "md5": submission.md5,
        "size_bytes": submission.size,
        "verification_code": submission.display_code,
        "created_at": submission.accepted_at,
    }


def _student(student):
    current = student.current_submission
    return {
        "id": student.pk,
        "nickname": student.nickname,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "email": student.email,
        "upload_code": student.upload_code,
        "has_submission": current is not None,
        "last_submission": _submission(current),
        "created_at": student.created_at,
    }


def _completion(student, current=None):
    current = current or student.current_submission
    return {
        "uploads_available": student.uploads_left(),
        "has_submission": current is not None,
        "last_submission": _submission(current),
    }


def _require_bound(request):
    """The original service had exactly one exam: the one the token is bound to."""
    if not request.auth.is_bound():
        raise Problem(
            403,
            _(
                "The original service's routes act on one exam: use a token bound to an exam "
                "(made on the API tokens page, or manage.py create_api_token --exam)."
            ),
            code="token_not_bound",
        )


def _exam(request):
    _require_bound(request)
    return access.exam(request, request.auth.exam_id)


def _exam_to_change(request):
    """As _exam, for a change: 403 for a read-only token, 409 for an archived exam."""
    _require_bound(request)
    return access.exam_to_change(request, request.auth.exam_id)


def with_original_detail(problem, detail):
    """The same problem with the original's `detail`, and ours as `message`."""
    problem.extra["message"] = problem.detail
    problem.detail = detail
    return problem


@api.post(
    "/students",
    response={201: StudentV0, codes(400, 401, 403, 409, 413, 422): ProblemOut},
    summary="Creates a student.",
)
def create_student(request, student: StudentCreateV0):
    exam = _exam_to_change(request)
    created = _create_student(exam, student.dict())
    return Status(201, _student(created))


@api.get(
    "/students",
    response={200: StudentsSubmissionsList, codes(401, 403): ProblemOut},
    summary="Returns a summary of students and submissions.",
)
def students_summary(request):
    exam = _exam(request)
    counts = exam.roster_counts()
    students = exam.students.select_related("exam").with_current_submission()
    summaries = []
    for student in students:
        current = student.current_submission
        summaries.append(
            {
                "nickname": student.nickname,
                "first_name": student.first_name,
                "last_name": student.last_name,
                "has_submission": current is not None,
                "last_submission": {
                    "created_at": current.accepted_at,
                    "verification_code": current.display_code,
                }
                if current
                else None,
            }
        )
    return {
        "totals": {"total_students": counts["total"], "total_submissions": counts["submitted"]},
        "students": summaries,
    }


@api.get(
    "/students/{nickname}",
    response={200: StudentV0, codes(401, 403, 404, 422): ProblemOut},
    summary="Returns a student by nickname.",
)
def student(request, nickname: str):
    exam = _exam(request)
    found = Student.objects.select_related("exam").filter(exam=exam, nickname=nickname).first()
    if found is None:
        raise Problem(404, "Student not found", code="not_found")
    return _student(found)


ORIGINAL_UPLOAD_DETAILS = {
    404: "No student found with the provided upload_code",
    413: "Upload size limit exceeded",
    503: "Submission Storage Error",
}


@api.post(
    "/submissions/{upload_code}",
    auth=None,
    response={201: UploadCompletion, codes(404, 411, 413, 422, 429, 503): ProblemOut},
    summary="Creates a submission.",
    openapi_extra={"requestBody": UPLOAD_BODY["requestBody"]},
)
@code_endpoint
def create_submission(request, upload_code: str):
    try:
        student = student_for_code(upload_code)
        submission = receive(request, student, md5=True)
    except Problem as problem:
        if problem.code == "no_uploads_left":
            problem.status = 422
            raise with_original_detail(problem, "Submissions count limit exceeded") from None
        if problem.code == "exam_closed":
            problem.status = 422
        if problem.status in ORIGINAL_UPLOAD_DETAILS:
            raise with_original_detail(problem, ORIGINAL_UPLOAD_DETAILS[problem.status]) from None
        raise
    student.refresh_from_db(fields=["uploads_used"])
    return Status(201, _completion(student, submission))


@api.get(
    "/submissions/{upload_code}",
    auth=None,
    response={200: UploadCompletion, codes(404, 422, 429): ProblemOut},
    summary="Returns the last submission's metadata and the uploads left, by upload code.",
)
@code_endpoint
def submission_metadata(request, upload_code: str):
    try:
        student = student_for_code(upload_code)
    except Problem as problem:
        raise with_original_detail(problem, "Student not found") from None
    return _completion(student)


@api.get(
    "/verifications/{verification_code}/download_url",
    auth=None,
    response={200: DownloadUrl, codes(404, 422, 429): ProblemOut},
    summary="Returns URL to download the submission for verification.",
)
@code_endpoint
def verification_download_url(request, verification_code: str):
    code = verification_codes.normalize(verification_code)
    submission = (
        Submission.objects.select_related("student")
        .filter(verification_code=code)
        .current()
        .with_file()
        .first()
        if code
        else None
    )
    if submission is None:
        raise Problem(404, "Submission not found", code="not_found")
    url = submission.download_url("link by verification code (API v0)")
    return {
        "download_url": request.build_absolute_uri(url),
        "expires_seconds": settings.DOWNLOAD_LINK_SECONDS,
    }


@api.get("/", auth=None, response=str, summary="Answers “pong”: the original's liveness check.")
def ping(request):
    return "pong"


@api.api_operation(
    ["GET", "POST"],
    "/auth/token",
    auth=None,
    response={410: ProblemOut},
    summary="Gone: tokens come from the examiner's “API tokens” page now.",
)
def auth_token(request):
    """The original handed its one secret to anyone who asked here. Say where a token comes
    from now, rather than a bare 404 a script's author cannot act on."""
    tokens_url = request.build_absolute_uri(reverse("api_tokens:list"))
    raise Problem(
        410,
        _(
            "Tokens are no longer handed out here. An examiner makes one for their exam on "
            "the “API tokens” page (%(url)s); an operator can run manage.py "
            "create_api_token. Send it as “Authorization: Bearer <token>”."
        )
        % {"url": tokens_url},
        code="tokens_moved",
        tokens_url=tokens_url,
    )

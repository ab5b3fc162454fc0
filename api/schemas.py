"""The JSON shapes of /api/v1/. Names follow the models, one name for one thing (a link to
a file is `download_url`, its lifetime `download_url_expires_in_seconds`, wherever they
appear). Every time comes back in one format, ISO 8601 in UTC to the second:
"2026-12-08T17:00:00Z"; times sent may carry any offset."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import AwareDatetime, Field, PlainSerializer, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from students import imports
from submissions import receipts

Text = Annotated[str, StringConstraints(max_length=300)]


def utc_time(moment):
    """A time as every answer writes it: "2026-12-08T17:00:00Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Time = Annotated[datetime, PlainSerializer(utc_time, return_type=str)]


class ObjectIn(Schema):
    """A request body (or one of its items) that must be a JSON object. ninja's Schema reads
    anything else by its attributes, so the string "AAA" would be an exam titled "Aaa"
    (str.title) rather than a refusal."""

    @model_validator(mode="before")
    @classmethod
    def must_be_an_object(cls, data):
        # ninja hands every value over wrapped, to be read by its attributes.
        value = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(value, dict):
            raise PydanticCustomError(
                "not_an_object",
                "must be a JSON object ({...}), not {kind}",
                {"kind": JSON_KINDS.get(type(value), "this")},
            )
        return data


JSON_KINDS = {
    str: "a string",
    list: "an array",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


class ExamOut(Schema):
    id: int
    title: str
    language: str = Field(description="Mails to its students are written in it.")
    time_zone: str
    opens_at: Time | None
    closes_at: Time | None = Field(description="The due time.")
    cutoff_at: Time | None
    retention_days: int
    instructions: str
    contact: str
    statement: str
    blind_review: bool = Field(
        description="Names hidden from the code lookup and from signed receipts' facts."
    )
    max_upload_bytes: int
    max_uploads: int
    delivery_minutes: int = Field(
        description="Minutes a two-step upload's bytes may follow its commitment (0: off)."
    )
    manual_state: Literal["", "open", "closed"]
    allowed_extensions: str
    is_open: bool
    is_archived: bool = Field(description="Archived: read-only until restored.")
    archived_at: Time | None
    created_at: Time
    updated_at: Time

    @staticmethod
    def resolve_is_open(exam):
        return exam.is_open()

    @staticmethod
    def resolve_is_archived(exam):
        return exam.is_archived()


class ExamIn(ObjectIn):
    title: Annotated[str, StringConstraints(max_length=200)]
    language: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        None, description="One of the site's languages (en, de); default: the request's."
    )
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    cutoff_at: AwareDatetime | None = None
    retention_days: int | None = Field(None, ge=0, le=32767)
    instructions: Annotated[str, StringConstraints(max_length=5000)] = ""
    contact: Annotated[str, StringConstraints(max_length=200)] = ""
    statement: Text = ""
    blind_review: bool = False
    max_upload_bytes: int | None = Field(None, ge=0, le=2**31 - 1)
    max_uploads: int | None = Field(None, ge=0, le=32767)
    delivery_minutes: int | None = Field(None, ge=0, le=32767)
    manual_state: Literal["", "open", "closed"] = ""
    allowed_extensions: Text = ""


class ExamPatch(ObjectIn):
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    language: Annotated[str, StringConstraints(max_length=16)] | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    cutoff_at: AwareDatetime | None = None
    retention_days: int | None = Field(None, ge=0, le=32767)
    instructions: Annotated[str, StringConstraints(max_length=5000)] | None = None
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    statement: Text | None = None
    blind_review: bool | None = None
    max_upload_bytes: int | None = Field(None, ge=0, le=2**31 - 1)
    max_uploads: int | None = Field(None, ge=0, le=32767)
    delivery_minutes: int | None = Field(None, ge=0, le=32767)
    manual_state: Literal["", "open", "closed"] | None = None
    allowed_extensions: Text | None = None


class SubmissionOut(Schema):
    """A submission as its examiner sees it."""

    id: int
    original_name: str
    size: int
    sha256: str
    md5: str | None
    content_type: str
    verification_code: str
    accepted_at: Time
    late_by: timedelta | None = Field(description="How late after the due time; null: on time.")
    statement: str
    expires_at: Time | None = Field(
        description="When the file is deleted; null while the exam is open by hand."
    )
    superseded_at: Time | None
    file_deleted_at: Time | None
    is_current: bool
    has_file: bool

    @staticmethod
    def resolve_verification_code(submission):
        return submission.display_code

    @staticmethod
    def resolve_md5(submission):
        return submission.md5 or None

    @staticmethod
    def resolve_is_current(submission):
        return submission.is_current()

    @staticmethod
    def resolve_has_file(submission):
        return submission.has_file()


class CommittedOut(Schema):
    """A file fixed by its fingerprint whose bytes are still awaited (a two-step upload
    within its delivery window): it counts as of `committed_at` if it arrives by
    `deliver_by`."""

    original_name: str
    size: int
    sha256: str
    committed_at: Time
    deliver_by: Time


class StudentOut(Schema):
    id: int
    exam_id: int
    nickname: str
    first_name: str
    last_name: str
    email: str
    upload_code: str
    upload_url: str
    uploads_used: int
    uploads_left: int
    extra_uploads: int
    deadline: Time | None
    extended_until: Time | None
    created_at: Time
    current_submission: SubmissionOut | None
    committed: CommittedOut | None = Field(
        description="A file committed by its fingerprint and still awaited; null: none."
    )

    @staticmethod
    def resolve_committed(student):
        return student.open_commitment

    @staticmethod
    def resolve_upload_url(student, context):
        return context["request"].build_absolute_uri(student.get_upload_url())

    @staticmethod
    def resolve_uploads_left(student):
        return student.uploads_left()

    @staticmethod
    def resolve_deadline(student):
        return student.deadline()


class StudentIn(ObjectIn):
    nickname: Text
    first_name: Text
    last_name: Text
    email: Text = ""


class StudentPatch(ObjectIn):
    nickname: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None
    extended_until: AwareDatetime | None = None


class StudentPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[StudentOut]


class BulkIn(ObjectIn):
    # As many as a roster file may hold (students.imports.MAX_ROWS).
    students: list[StudentIn] = Field(..., min_length=1, max_length=imports.MAX_ROWS)


class BulkOut(Schema):
    created: int
    students: list[StudentOut]


class EventOut(Schema):
    id: int
    kind: str
    label: str
    detail: str
    submission_id: int | None
    created_at: Time

    @staticmethod
    def resolve_label(event):
        return str(event.get_kind_display())


class DownloadOut(Schema):
    download_url: str
    download_url_expires_in_seconds: int


class SignedReceiptOut(Schema):
    """The receipt file, as the receipt page and mail give it: the signed statement (a
    compact JWS, Ed25519, checked with /.well-known/jwks.json) and the facts it signs."""

    format: str
    jws: str
    facts: dict
    keys: str = Field(description="Where the public keys are published (a JWK Set).")
    checker: str = Field(description="Where to download the offline checker page.")


class ReceiptOut(Schema):
    """A submission as its student (or a script acting for them) sees it."""

    verification_code: str
    original_name: str
    size: int
    sha256: str
    md5: str | None
    content_type: str
    accepted_at: Time
    late_by: timedelta | None
    expires_at: Time | None
    has_file: bool
    signed_receipt: SignedReceiptOut | None = Field(
        description="Null for uploads made before receipts were signed."
    )

    @staticmethod
    def resolve_verification_code(submission):
        return submission.display_code

    @staticmethod
    def resolve_md5(submission):
        return submission.md5 or None

    @staticmethod
    def resolve_has_file(submission):
        return submission.has_file()

    @staticmethod
    def resolve_signed_receipt(submission):
        return receipts.receipt_file(submission)


class UploadStatusOut(Schema):
    exam_title: str
    nickname: str
    deadline: Time | None
    is_open: bool
    can_upload: bool
    uploads_used: int
    uploads_left: int
    max_uploads: int
    max_upload_bytes: int
    allowed_extensions: str
    delivery_minutes: int = Field(
        description="Minutes a committed file's bytes may follow its commitment (0: two-step "
        "uploads are off)."
    )
    current_submission: ReceiptOut | None
    committed: CommittedOut | None = Field(
        description="A file committed by its fingerprint and still awaited; null: none."
    )


class UploadOut(Schema):
    submission: ReceiptOut
    uploads_left: int


Sha256 = Annotated[str, Field(description="The file's SHA-256, 64 lower-case hex digits.")]


class CommitmentIn(ObjectIn):
    """The file a two-step upload will send, fixed by its fingerprint before its bytes
    travel. Checked as the student's page checks it, then by the exam's rules."""

    sha256: Sha256
    size: int = Field(description="The file's size in bytes.")
    name: Annotated[str, StringConstraints(max_length=255)] = Field(
        description="The file's name; its extension is checked against the exam's file types."
    )
    statement_accepted: bool = Field(
        False, description="The exam's submission statement, ticked (required when it has one)."
    )


class CommitmentOut(Schema):
    """A commitment (a two-step upload), and where its bytes go while it is open."""

    token: str = Field(description="Names the commitment in its URLs.")
    state: Literal["open", "delivered", "replaced", "refused", "expired"] = Field(
        description="open: awaiting the file; delivered: recorded as a submission; replaced: "
        "a later file took its place; refused: not counted when its file came (the exam was "
        "closed by hand, or no upload was left); expired: its window ended without the file."
    )
    original_name: str
    size: int
    sha256: str
    committed_at: Time = Field(description="The upload counts as of this moment.")
    deliver_by: Time = Field(description="The bytes must be sent and completed by then.")
    put_url: str | None = Field(
        description="Where to PUT the file's bytes, with put_headers; null once not open."
    )
    put_headers: dict[str, str]
    complete_url: str = Field(description="POST here once the PUT succeeded.")


class VerificationOut(Schema):
    verification_code: str
    exam_title: str
    student_name: str | None = Field(description="Null when the exam is under blind review.")
    original_name: str
    size: int
    sha256: str
    md5: str | None
    accepted_at: Time
    is_current: bool
    superseded_at: Time | None
    file_deleted_at: Time | None
    file_available: bool
    download_url: str | None
    download_url_expires_in_seconds: int | None
    signed_receipt: SignedReceiptOut | None = Field(
        description="Null for uploads made before receipts were signed."
    )


def download(request, submission, by):
    """A short-lived download URL for a stored file, absolute; the download is logged."""
    from django.conf import settings

    return {
        "download_url": request.build_absolute_uri(submission.download_url(by)),
        "download_url_expires_in_seconds": settings.DOWNLOAD_LINK_SECONDS,
    }

"""/api/v1/'s two-step upload: commit the fingerprint, PUT the bytes where the answer says
(moto's server over HTTP, through real presigned URLs), complete; its refusals as problems."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.conftest import bearer
from conftest import s3_keys
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Commitment, Event, Submission
from submissions.tests.helpers import post_upload, put_bytes, sha256

pytestmark = pytest.mark.django_db

JSON = "application/json"
PDF = b"%PDF-1.7 my answers " + b"x" * 2000
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there
APP = "http://testserver"


def commit(client, student, content=PDF, name="answer.pdf", key=None, **fields):
    body = {"sha256": sha256(content), "size": len(content), "name": name, **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/uploads/{student.upload_code}/commitments", body, content_type=JSON, **headers
    )


def put(answer, content=PDF):
    """PUT the bytes to the answer's put_url with its put_headers, as a script would."""
    url, headers = answer["put_url"], answer["put_headers"]
    if url.startswith(f"{APP}/"):  # the app's own address (local storage)
        path = url.removeprefix(APP)
        response = Client().generic("PUT", path, content, content_type=headers["Content-Type"])
        return response.status_code
    return put_bytes(url, headers, content)


def committed(client, student, content=PDF, **fields):
    response = commit(client, student, content, **fields)
    assert response.status_code == 201, response.content
    return response.json()


def complete(client, answer):
    return client.post(answer["complete_url"])


def problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def storage_down(settings):
    """A real fault: the storage's address answers nothing (a closed port)."""
    default = settings.STORAGES["default"]
    options = {**default["OPTIONS"], "endpoint_url": CLOSED}
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
    return default


# --- The way through --------------------------------------------------------------------


def test_commit_put_and_complete_record_the_upload(client, student, s3):
    answer = committed(client, student)

    assert answer["state"] == "open"
    assert answer["put_url"].startswith(s3.meta.endpoint_url)
    assert set(answer["put_headers"]) == {
        "Content-Type",
        "Content-Disposition",
        "x-amz-checksum-sha256",
    }
    token = answer["token"]
    base = f"{APP}/api/v1/uploads/{student.upload_code}/commitments/{token}"
    assert answer["complete_url"] == f"{base}/complete"
    assert (answer["original_name"], answer["size"]) == ("answer.pdf", len(PDF))
    assert answer["sha256"] == sha256(PDF)
    assert answer["deliver_by"].endswith("Z") and answer["committed_at"].endswith("Z")
    assert put(answer) == 200

    completed = complete(client, answer)

    assert completed.status_code == 201, completed.content
    body = completed.json()
    submission = Submission.objects.get()
    assert body["submission"]["verification_code"] == submission.display_code
    assert body["submission"]["sha256"] == sha256(PDF)
    assert body["submission"]["signed_receipt"]["facts"]["sha256"] == sha256(PDF)
    assert body["uploads_left"] == 4
    assert s3_keys(s3) == [submission.file.name]
    assert Commitment.objects.get().state == Commitment.State.DELIVERED


def test_a_second_completion_answers_200_with_the_same_submission(client, student, s3):
    """The first answer was lost: completing again counts nothing more."""
    answer = committed(client, student)
    put(answer)
    first = complete(client, answer)

    again = complete(client, answer)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    student.refresh_from_db()
    assert (student.uploads_used, Submission.objects.count()) == (1, 1)


def test_on_local_storage_the_bytes_go_to_the_apps_own_address(client, student, local_storage):
    answer = committed(client, student)

    assert answer["put_url"] == f"{APP}/u/{student.upload_code}/deliver/{answer['token']}/"
    assert put(answer) == 204
    assert complete(client, answer).status_code == 201
    assert Submission.objects.get().file.read() == PDF


def test_a_commitment_before_the_deadline_completed_after_it_is_on_time(client, s3):
    due = timezone.now() + timedelta(minutes=5)
    student = StudentFactory(exam=ExamFactory(closes_at=due, delivery_minutes=30))
    with time_machine.travel(due - timedelta(seconds=10), tick=False):
        answer = committed(client, student)
    with time_machine.travel(due + timedelta(minutes=20)):
        put(answer)
        completed = complete(client, answer)

    assert completed.status_code == 201
    assert completed.json()["submission"]["late_by"] is None


# --- The same upload again ------------------------------------------------------------------


def test_the_same_idempotency_key_answers_the_same_commitment(client, student, s3):
    first = committed(client, student, key="retry-1")
    again = committed(client, student, key="retry-1")

    assert again["token"] == first["token"]
    assert Commitment.objects.count() == 1
    # Keys are the student's own, as the one-step upload's are.
    other = StudentFactory(exam=student.exam)
    assert committed(client, other, key="retry-1")["token"] != first["token"]


def test_the_same_key_with_another_file_422s(client, student, s3):
    committed(client, student, key="retry-1")

    response = commit(client, student, b"%PDF-1.7 another file", key="retry-1")

    problem(response, 422, "token_taken")
    assert Commitment.objects.count() == 1


def test_the_key_of_a_delivered_commitment_answers_it_with_nowhere_to_put(client, student, s3):
    answer = committed(client, student, key="retry-1")
    put(answer)
    complete(client, answer)

    again = committed(client, student, key="retry-1")

    assert (again["state"], again["put_url"], again["put_headers"]) == ("delivered", None, {})
    assert complete(client, again).status_code == 200


def test_the_same_file_without_a_key_is_the_same_commitment(client, student, s3):
    first = committed(client, student)
    again = committed(client, student)

    assert again["token"] == first["token"]


def test_another_file_replaces_the_open_commitment(client, student, s3):
    first = committed(client, student)
    second = committed(client, student, b"%PDF-1.7 the better answer", name="better.pdf")
    put(first)

    problem(complete(client, first), 409, "commitment_replaced")
    put(second, b"%PDF-1.7 the better answer")
    assert complete(client, second).status_code == 201
    assert Submission.objects.get().original_name == "better.pdf"


def test_an_upload_in_one_step_replaces_an_open_commitment(client, student, s3):
    """The later file counts: the committed one can no longer complete and replace it."""
    answer = committed(client, student)
    put(answer)
    post_upload(client, student, b"%PDF-1.7 sent whole", name="whole.pdf")

    problem(complete(client, answer), 409, "commitment_replaced")
    assert Submission.objects.current().get().original_name == "whole.pdf"
    assert Commitment.objects.get().state == Commitment.State.REPLACED


# --- Refusals, each with its status and code ---------------------------------------------


@pytest.mark.parametrize(
    ("exam_fields", "student_fields", "status", "code"),
    [
        ({"statement": "My own work."}, {}, 400, "statement_required"),
        ({"opens_at": timezone.now() + timedelta(days=1)}, {}, 403, "not_open_yet"),
        ({"closes_at": timezone.now() - timedelta(minutes=1)}, {}, 403, "exam_closed"),
        ({"max_uploads": 1}, {"uploads_used": 1}, 403, "no_uploads_left"),
        ({"delivery_minutes": 0}, {}, 409, "two_step_off"),
        ({"allowed_extensions": "docx"}, {}, 422, "file_type_not_allowed"),
        ({"max_upload_bytes": 1024}, {}, 413, "file_too_large"),
    ],
)
def test_a_commitment_the_rules_refuse(client, exam_fields, student_fields, status, code):
    student = StudentFactory(exam=ExamFactory(**exam_fields), **student_fields)

    body = problem(commit(client, student), status, code)

    assert body["detail"]
    if status == 413:
        assert body["max_upload_bytes"] == 1024
    assert not Commitment.objects.exists()
    assert Event.objects.get(kind=Event.Kind.UPLOAD_REFUSED).detail == body["detail"][:300]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"size": 0}, "empty", "size"),
        ({"sha256": "not a fingerprint"}, "invalid", "sha256"),
        ({"name": ""}, "required", "name"),
    ],
)
def test_a_malformed_commitment_422s_naming_its_field(client, student, fields, code, field):
    body = problem(commit(client, student, **fields), 422, code)

    assert body["errors"][0]["field"] == field
    assert not Commitment.objects.exists()


def test_an_empty_file_is_refused_in_the_words_of_the_one_step_upload(client, student):
    two_step = problem(commit(client, student, size=0), 422, "empty")
    one_step = client.post(f"/api/v1/uploads/{student.upload_code}", {"file": ""})

    assert two_step["detail"].startswith("This file is empty (0 bytes).")
    assert one_step.status_code == 422


def test_a_completion_before_the_bytes_arrived_409s(client, student, s3):
    answer = committed(client, student)

    body = problem(complete(client, answer), 409, "not_delivered")

    assert "has not arrived yet" in body["detail"]
    assert Commitment.objects.get().state == Commitment.State.OPEN


def test_other_bytes_422_are_deleted_and_leave_the_commitment_open(client, student, s3):
    answer = committed(client, student)
    put(answer, b"%PDF-1.7 someone else's " + b"y" * (len(PDF) - 24))

    problem(complete(client, answer), 422, "delivery_mismatch")

    assert s3_keys(s3) == []
    put(answer)
    assert complete(client, answer).status_code == 201


def test_content_unlike_its_name_422s(client, s3):
    student = StudentFactory(exam=ExamFactory(allowed_extensions="pdf"))
    fake = b"MZ not a pdf at all " * 10
    answer = committed(client, student, fake, name="answer.pdf")
    put(answer, fake)

    problem(complete(client, answer), 422, "file_content_mismatch")

    assert s3_keys(s3) == []


def test_a_completion_after_the_window_410s(client, s3):
    due = timezone.now() + timedelta(minutes=5)
    student = StudentFactory(exam=ExamFactory(closes_at=due, delivery_minutes=30))
    with time_machine.travel(due - timedelta(seconds=10), tick=False):
        answer = committed(client, student, key="late-1")
    with time_machine.travel(due + timedelta(minutes=31)):
        put(answer)
        body = problem(complete(client, answer), 410, "commitment_expired")
        again = commit(client, student, key="late-1")  # the same key, its window over

    assert "The time to send this file ended at" in body["detail"]
    problem(again, 410, "commitment_expired")
    assert s3_keys(s3) == []
    assert not Submission.objects.exists()


def test_an_unknown_commitment_404s(client, student):
    response = client.post(f"/api/v1/uploads/{student.upload_code}/commitments/{'0' * 64}/complete")

    problem(response, 404, "not_found")


def test_another_students_commitment_404s(client, student, s3):
    answer = committed(client, student)
    other = StudentFactory(exam=student.exam)

    path = f"/api/v1/uploads/{other.upload_code}/commitments/{answer['token']}"

    problem(client.post(f"{path}/complete"), 404, "not_found")
    problem(client.get(path), 404, "not_found")


def test_storage_down_at_completion_is_a_503_to_retry(client, student, s3, settings):
    answer = committed(client, student)
    put(answer)
    working = storage_down(settings)

    response = complete(client, answer)

    body = problem(response, 503, "unavailable")
    assert response["Retry-After"] == "60"
    assert "storage is unavailable" in body["detail"]
    assert not Submission.objects.exists()
    settings.STORAGES = {**settings.STORAGES, "default": working}
    assert complete(client, answer).status_code == 201


# --- What the commitment is, and who sees it ---------------------------------------------


def test_a_commitments_state_as_it_goes(client, student, s3):
    answer = committed(client, student)
    url = answer["complete_url"].removesuffix("/complete")

    open_ = client.get(url).json()
    put(answer)
    complete(client, answer)
    delivered = client.get(url).json()

    assert (open_["state"], open_["token"]) == ("open", answer["token"])
    assert open_["put_url"].startswith(s3.meta.endpoint_url)
    assert (delivered["state"], delivered["put_url"]) == ("delivered", None)


def test_a_commitment_past_its_window_reads_as_expired(client, student, s3):
    answer = committed(client, student)
    url = answer["complete_url"].removesuffix("/complete")

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        expired = client.get(url).json()

    assert (expired["state"], expired["put_url"]) == ("expired", None)
    assert Commitment.objects.get().state == Commitment.State.EXPIRED


def test_the_upload_status_shows_an_open_commitment_until_it_is_delivered(client, student, s3):
    status_url = f"/api/v1/uploads/{student.upload_code}"
    before = client.get(status_url).json()
    answer = committed(client, student)
    during = client.get(status_url).json()
    put(answer)
    complete(client, answer)
    after = client.get(status_url).json()

    assert before["committed"] is None
    assert before["delivery_minutes"] == 30
    assert during["committed"] == {
        key: answer[key]
        for key in ("original_name", "size", "sha256", "committed_at", "deliver_by")
    }
    assert after["committed"] is None
    assert after["current_submission"]["sha256"] == sha256(PDF)


def test_the_examiners_student_shows_the_open_commitment(client, api, student, s3):
    answer = committed(Client(), student)
    exam = student.exam

    one = api.get(f"/api/v1/exams/{exam.pk}/students/{student.pk}").json()
    listed = api.get(f"/api/v1/exams/{exam.pk}/students").json()["results"]
    roster = api.get(f"/api/v1/exams/{exam.pk}/roster").json()

    assert one["committed"]["deliver_by"] == answer["deliver_by"]
    assert one["committed"]["original_name"] == "answer.pdf"
    assert listed[0]["committed"] == one["committed"]
    assert roster[0]["committed_awaiting_the_file_until"] == answer["deliver_by"]


@pytest.mark.parametrize("listing", ["students", "roster"])
def test_listing_costs_no_query_per_committed_student(client, token, exam, listing):
    committed(client, StudentFactory(exam=exam))
    examiner = Client(**bearer(token))
    with CaptureQueriesContext(connection) as one:
        examiner.get(f"/api/v1/exams/{exam.pk}/{listing}")
    for student in StudentFactory.create_batch(3, exam=exam):
        committed(client, student)

    with CaptureQueriesContext(connection) as four:
        body = examiner.get(f"/api/v1/exams/{exam.pk}/{listing}").json()

    rows = body["results"] if listing == "students" else body
    key = "committed" if listing == "students" else "committed_awaiting_the_file_until"
    assert sum(row[key] is not None for row in rows) == 4
    assert len(four) == len(one)


# --- The schema says it --------------------------------------------------------------------


def test_the_schema_describes_the_put_step(client):
    schema = client.get("/api/v1/openapi.json").json()
    path = "/api/v1/uploads/{upload_code}/commitments"

    operation = schema["paths"][path]["post"]

    description = operation["description"]
    for words in ("put_headers", "x-amz-checksum-sha256", "another length", "local storage"):
        assert words in description
    assert "Idempotency-Key" in [parameter["name"] for parameter in operation["parameters"]]
    assert {"201", "400", "403", "409", "413", "422", "503"} <= set(operation["responses"])
    complete_ = schema["paths"][f"{path}/{{token}}/complete"]["post"]
    assert {"200", "201", "409", "410"} <= set(complete_["responses"])

"""/api/v0/: the original service's routes, field names, shapes and status codes."""

import hashlib
import re

import pytest

from api.tests.conftest import bearer
from students.tests.factories import ExamFactory, StudentFactory
from submissions.tests.helpers import answer, post_upload

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def v0(client, make_token, exam):
    client.defaults.update(bearer(make_token(exam=exam)))
    return client


def new_student(**fields):
    return {
        "nickname": "s1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "a@e.edu",
        **fields,
    }


def test_post_students_201s_with_the_originals_fields(v0, exam):
    response = v0.post("/api/v0/students", new_student(), content_type=JSON)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id", "nickname", "first_name", "last_name", "email", "upload_code",
        "has_submission", "last_submission", "created_at",
    }  # fmt: skip
    assert (body["has_submission"], body["last_submission"]) == (False, None)
    assert exam.students.get().upload_code == body["upload_code"]


def test_a_duplicate_nickname_422s(v0, exam):
    v0.post("/api/v0/students", new_student(), content_type=JSON)

    response = v0.post("/api/v0/students", new_student(), content_type=JSON)

    assert response.status_code == 422
    assert "already in this exam" in response.json()["detail"]


def test_get_students_summarises_like_the_original(v0, exam):
    waiting, submitted = StudentFactory(exam=exam), StudentFactory(exam=exam)
    post_upload(v0, submitted)
    post_upload(v0, submitted)

    body = v0.get("/api/v0/students").json()

    assert body["totals"] == {"total_students": 2, "total_submissions": 1}
    by_nick = {s["nickname"]: s for s in body["students"]}
    assert by_nick[waiting.nickname]["last_submission"] is None
    summary = by_nick[submitted.nickname]
    assert set(summary) == {
        "nickname",
        "first_name",
        "last_name",
        "has_submission",
        "last_submission",
    }
    assert set(summary["last_submission"]) == {"created_at", "verification_code"}


def test_get_student_by_nickname_and_404(v0, exam):
    student = StudentFactory(exam=exam)

    assert v0.get(f"/api/v0/students/{student.nickname}").json()["id"] == student.pk
    response = v0.get("/api/v0/students/nobody")
    assert response.status_code == 404
    assert response.json()["detail"] == "Student not found"


def test_another_exams_student_is_not_found(v0):
    other = StudentFactory(exam=ExamFactory(owner=StudentFactory().exam.owner))

    assert v0.get(f"/api/v0/students/{other.nickname}").status_code == 404


def test_examiner_routes_need_a_token_bound_to_an_exam(client, make_token):
    assert client.get("/api/v0/students").status_code == 401
    unbound = make_token()

    response = client.get("/api/v0/students", **bearer(unbound))

    assert response.status_code == 403
    assert response.json()["code"] == "token_not_bound"


def test_a_read_token_cannot_create(client, make_token, exam):
    token = make_token(exam=exam, scope="read")

    response = client.post("/api/v0/students", new_student(), content_type=JSON, **bearer(token))

    assert response.status_code == 403


def submit(client, student, content=b"%PDF-1.7 v0"):
    return client.post(f"/api/v0/submissions/{student.upload_code}", {"file": answer(content)})


def test_post_submission_201s_with_md5_and_uploads_available(client, student):
    response = submit(client, student, b"%PDF-1.7 some file data")

    assert response.status_code == 201
    body = response.json()
    assert body["uploads_available"] == 4 and body["has_submission"] is True
    last = body["last_submission"]
    assert set(last) == {"md5", "size_bytes", "verification_code", "created_at"}
    assert re.fullmatch(r"[0-9a-f]{32}", last["md5"])
    assert last["md5"] == hashlib.md5(b"%PDF-1.7 some file data").hexdigest()
    assert student.submissions.get().md5 == last["md5"]


def test_the_sixth_submission_is_the_originals_422(client, student):
    for _ in range(5):
        assert submit(client, student).status_code == 201

    response = submit(client, student)

    assert response.status_code == 422
    assert "Submissions count limit exceeded" in response.json()["detail"]
    assert response.json()["message"].startswith("You have used all your uploads")


def test_too_large_is_413_and_unknown_code_404(client, student):
    student.exam.max_upload_bytes = 1024
    student.exam.save()

    response = submit(client, student, b"%PDF-" + b"x" * 2000)
    assert response.status_code == 413
    assert response.json()["detail"] == "Upload size limit exceeded"
    response = client.post("/api/v0/submissions/" + "n" * 32, {"file": answer()})
    assert response.status_code == 404


def test_get_submission_metadata(client, student):
    submit(client, student)

    body = client.get(f"/api/v0/submissions/{student.upload_code}").json()

    assert body["uploads_available"] == 4
    assert body["last_submission"]["verification_code"] == student.submissions.get().display_code
    assert client.get("/api/v0/submissions/" + "n" * 32).json()["detail"] == "Student not found"


def test_verification_download_url(client, student):
    submit(client, student, b"%PDF-1.7 verify me")
    code = student.submissions.get().display_code

    body = client.get(f"/api/v0/verifications/{code}/download_url").json()

    assert body["expires_seconds"] == 600
    assert b"".join(client.get(body["download_url"]).streaming_content) == b"%PDF-1.7 verify me"
    response = client.get("/api/v0/verifications/nonexistent_code/download_url")
    assert response.status_code == 404
    assert response.json()["detail"] == "Submission not found"


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_old_token_route_says_where_tokens_come_from_now(client, method):
    response = getattr(client, method)("/api/v0/auth/token")

    body = response.json()
    assert response.status_code == 410
    assert body["code"] == "tokens_moved"
    assert body["tokens_url"] == "http://testserver/exams/api-tokens/"
    assert "“API tokens” page (http://testserver/exams/api-tokens/)" in body["detail"]
    assert client.get("/auth/token").status_code == 404


def test_the_root_answers_pong_as_the_original_did(client):
    response = client.get("/api/v0/")

    assert response.status_code == 200
    assert response.json() == "pong"


def test_page_uploads_have_no_md5_unless_upload_md5_is_on(v0, exam, settings):
    student = StudentFactory(exam=exam)
    post_upload(v0, student, b"%PDF-1.7 by the page")
    assert v0.get(f"/api/v0/students/{student.nickname}").json()["last_submission"]["md5"] == ""

    settings.UPLOAD_MD5 = True
    post_upload(v0, student, b"%PDF-1.7 by the page")

    last = v0.get(f"/api/v0/students/{student.nickname}").json()["last_submission"]
    assert last["md5"] == hashlib.md5(b"%PDF-1.7 by the page").hexdigest()

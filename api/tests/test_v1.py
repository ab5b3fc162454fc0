"""/api/v1/: every endpoint and its refusals, through the test client with real URLs."""

import json
import secrets
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.tests.conftest import bearer
from conftest import s3_keys
from students import imports, removal
from students.models import Exam, Student
from students.tests.factories import StudentFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import answer, post_upload, sha256

pytestmark = pytest.mark.django_db

JSON = "application/json"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


# --- Exams ----------------------------------------------------------------------------


def test_it_creates_an_exam_with_the_default_rules(api, examiner):
    response = api.post("/api/v1/exams", {"title": "Logic"}, content_type=JSON)

    assert response.status_code == 201
    exam = Exam.objects.get(pk=response.json()["id"])
    assert (exam.owner, exam.max_upload_bytes, exam.max_uploads) == (examiner, 3145728, 5)


def test_an_exam_takes_the_requests_language_or_the_one_sent(api):
    german = api.post(
        "/api/v1/exams", {"title": "Logik"}, content_type=JSON, HTTP_ACCEPT_LANGUAGE="de"
    )
    sent = api.post("/api/v1/exams", {"title": "Logik", "language": "de"}, content_type=JSON)

    assert german.json()["language"] == "de"
    assert sent.json()["language"] == "de"
    assert Exam.objects.get(pk=german.json()["id"]).language == "de"


def test_an_exam_in_a_language_the_site_lacks_422s(api, exam):
    body = problem(
        api.patch(f"/api/v1/exams/{exam.pk}", {"language": "fr"}, content_type=JSON), 422
    )

    assert "language" in str(body["errors"])
    exam.refresh_from_db()
    assert exam.language == "en"


def test_exam_rules_are_the_forms(api):
    response = api.post(
        "/api/v1/exams",
        {"title": "Logic", "max_upload_bytes": 1023, "allowed_extensions": "pdf, d.x"},
        content_type=JSON,
    )

    body = problem(response, 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"max_upload_bytes", "allowed_extensions"}
    assert not Exam.objects.filter(title="Logic").exists()


def test_the_smallest_limit_is_1024_bytes(api):
    response = api.post(
        "/api/v1/exams", {"title": "Logic", "max_upload_bytes": 1024}, content_type=JSON
    )

    assert response.status_code == 201


def test_the_limit_stops_at_the_servers(api, settings):
    over = settings.FILE_UPLOAD_HARD_LIMIT + 1
    response = api.post(
        "/api/v1/exams", {"title": "Logic", "max_upload_bytes": over}, content_type=JSON
    )

    problem(response, 422)


def test_a_deadline_must_carry_its_offset(api):
    response = api.post(
        "/api/v1/exams", {"title": "Logic", "closes_at": "2027-01-01T10:00:00"}, content_type=JSON
    )

    body = problem(response, 422)
    assert body["errors"][0]["field"] == "closes_at"


def test_it_lists_and_reads_only_the_examiners_exams(api, exam):
    other = Exam.objects.create(owner=StudentFactory().exam.owner, title="Theirs")

    assert [e["id"] for e in api.get("/api/v1/exams").json()] == [exam.pk]
    assert api.get(f"/api/v1/exams/{exam.pk}").json()["title"] == exam.title
    problem(api.get(f"/api/v1/exams/{other.pk}"), 404)


def test_patch_changes_only_what_is_sent(api, exam):
    deadline = "2027-01-01T10:00:00+01:00"
    response = api.patch(
        f"/api/v1/exams/{exam.pk}",
        {"closes_at": deadline, "manual_state": "closed"},
        content_type=JSON,
    )

    assert response.status_code == 200
    exam.refresh_from_db()
    assert exam.closes_at.isoformat() == "2027-01-01T09:00:00+00:00"
    assert exam.manual_state == "closed" and not exam.is_open()
    assert response.json()["is_open"] is False
    assert exam.title.startswith("Algebra")


def test_patch_refuses_a_bad_value_and_keeps_the_exam(api, exam):
    problem(api.patch(f"/api/v1/exams/{exam.pk}", {"max_uploads": 51}, content_type=JSON), 422)

    exam.refresh_from_db()
    assert exam.max_uploads == 5


def test_a_read_token_cannot_write(client, make_token, exam):
    token = make_token(scope="read")

    body = problem(
        client.post("/api/v1/exams", {"title": "x"}, content_type=JSON, **bearer(token)), 403
    )
    assert body["code"] == "read_only_token"
    problem(
        client.patch(
            f"/api/v1/exams/{exam.pk}", {"title": "x"}, content_type=JSON, **bearer(token)
        ),
        403,
    )
    assert client.get("/api/v1/exams", **bearer(token)).status_code == 200


def test_a_bound_token_sees_one_exam_and_creates_none(client, make_token, exam, examiner):
    other = Exam.objects.create(owner=examiner, title="Other")
    token = make_token(exam=exam)

    assert [e["id"] for e in client.get("/api/v1/exams", **bearer(token)).json()] == [exam.pk]
    problem(client.get(f"/api/v1/exams/{other.pk}", **bearer(token)), 404)
    problem(client.post("/api/v1/exams", {"title": "x"}, content_type=JSON, **bearer(token)), 403)


# --- Students -------------------------------------------------------------------------


def test_it_lists_students_50_a_page_with_search_and_filter(api, exam):
    StudentFactory.create_batch(51, exam=exam)
    special = StudentFactory(exam=exam, first_name="Grace", last_name="Hopper")
    post_upload(api, special)

    first = api.get(f"/api/v1/exams/{exam.pk}/students").json()
    assert (first["count"], first["pages"], len(first["results"])) == (52, 2, 50)
    assert len(api.get(f"/api/v1/exams/{exam.pk}/students?page=2").json()["results"]) == 2
    found = api.get(f"/api/v1/exams/{exam.pk}/students?q=grace hop").json()["results"]
    assert [s["id"] for s in found] == [special.pk]
    submitted = api.get(f"/api/v1/exams/{exam.pk}/students?show=submitted").json()["results"]
    assert [s["id"] for s in submitted] == [special.pk]
    assert submitted[0]["current_submission"]["sha256"] == sha256(b"%PDF-1.7 my answers")
    problem(api.get(f"/api/v1/exams/{exam.pk}/students?show=everybody"), 422)


def test_it_creates_a_student(api, exam):
    response = api.post(
        f"/api/v1/exams/{exam.pk}/students",
        {"nickname": " s1 ", "first_name": "Ada\u200b", "last_name": "Lovelace"},
        content_type=JSON,
    )

    assert response.status_code == 201
    student = Student.objects.get(exam=exam)
    assert (student.nickname, student.first_name) == ("s1", "Ada")
    assert response.json()["upload_url"].endswith(student.get_upload_url())


def test_a_nickname_already_in_the_exam_422s(api, student):
    response = api.post(
        f"/api/v1/exams/{student.exam_id}/students",
        {"nickname": student.nickname.upper(), "first_name": "A", "last_name": "B"},
        content_type=JSON,
    )

    body = problem(response, 422)
    assert "already in this exam" in body["detail"]


def test_bulk_create_is_all_or_nothing_with_the_rows_errors(api, student):
    rows = [
        {"nickname": "n1", "first_name": "A", "last_name": "B", "email": "a@example.edu"},
        {"nickname": "n2", "first_name": "", "last_name": "B", "email": "not an email"},
        {"nickname": "n1", "first_name": "C", "last_name": "D"},
        {"nickname": student.nickname, "first_name": "E", "last_name": "F"},
    ]

    body = problem(
        api.post(
            f"/api/v1/exams/{student.exam_id}/students/bulk", {"students": rows}, content_type=JSON
        ),
        422,
    )

    assert body["detail"] == "3 of 4 students have errors, so none was added."
    by_row = {row["row"]: row["errors"] for row in body["rows"]}
    assert by_row[2] == ["The first name is missing.", "“not an email” is not an email address."]
    assert by_row[3] == ["The nickname “n1” is also on line 1."]
    assert "already in this exam" in by_row[4][0]
    assert Student.objects.filter(exam=student.exam).count() == 1


def test_bulk_create_takes_as_many_rows_as_a_roster_file(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["BulkIn"]

    assert schema["properties"]["students"]["maxItems"] == imports.MAX_ROWS


def test_bulk_create_adds_every_row(api, exam):
    rows = [{"nickname": f"n{i}", "first_name": "A", "last_name": "B"} for i in range(30)]

    response = api.post(
        f"/api/v1/exams/{exam.pk}/students/bulk", {"students": rows}, content_type=JSON
    )

    assert response.status_code == 201
    assert response.json()["created"] == 30
    assert exam.students.count() == 30


def test_it_reads_updates_and_extends_a_student(api, student, exam):
    exam.closes_at = timezone.now() + timedelta(days=1)
    exam.save()
    url = f"/api/v1/exams/{exam.pk}/students/{student.pk}"
    until = (exam.closes_at + timedelta(hours=2)).isoformat()

    assert api.get(url).json()["nickname"] == student.nickname
    response = api.patch(
        url, {"email": "new@example.edu", "extended_until": until}, content_type=JSON
    )

    assert response.status_code == 200
    student.refresh_from_db()
    assert student.email == "new@example.edu"
    assert student.deadline() == exam.closes_at + timedelta(hours=2)


def test_an_extension_before_the_deadline_422s(api, student, exam):
    exam.closes_at = timezone.now() + timedelta(days=1)
    exam.save()
    early = (exam.closes_at - timedelta(hours=1)).isoformat()

    body = problem(
        api.patch(
            f"/api/v1/exams/{exam.pk}/students/{student.pk}",
            {"extended_until": early, "email": "x@example.edu"},
            content_type=JSON,
        ),
        422,
    )
    assert body["detail"] == "An extension must end after the exam's due time."
    student.refresh_from_db()
    assert student.extended_until is None and student.email != "x@example.edu"


def test_it_removes_a_student_who_never_uploaded(api, student):
    Event.log(student, Event.Kind.LINK_CHANGED, detail="by examiner")

    response = api.delete(f"/api/v1/exams/{student.exam_id}/students/{student.pk}")

    assert response.status_code == 204
    assert not Student.objects.filter(pk=student.pk).exists()


def test_it_removes_a_student_as_the_dashboard_does(api, client, student, s3):
    """Their stored files go from storage first, then their submissions, trail and row."""
    other = StudentFactory(exam=student.exam)
    post_upload(client, student)
    post_upload(client, student, content=b"%PDF-1.7 second try")
    post_upload(client, other)
    kept = Submission.objects.get(student=other).file.name

    response = api.delete(f"/api/v1/exams/{student.exam_id}/students/{student.pk}")

    assert response.status_code == 204
    assert s3_keys(s3) == [kept]
    assert not Student.objects.filter(pk=student.pk).exists()
    assert not Submission.objects.filter(student_id=student.pk).exists()
    assert not Event.objects.filter(student_id=student.pk).exists()
    assert list(student.exam.students.all()) == [other]


def test_when_storage_fails_the_student_stays(api, client, student, s3, settings):
    """A real fault: the storage's address answers nothing (a closed port)."""
    post_upload(client, student)
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "endpoint_url": CLOSED}},
    }

    body = problem(api.delete(f"/api/v1/exams/{student.exam_id}/students/{student.pk}"), 503)

    assert body["code"] == "storage_unavailable"
    assert (
        api.delete(f"/api/v1/exams/{student.exam_id}/students/{student.pk}")["Retry-After"] == "60"
    )
    assert body["detail"] == str(removal.STORAGE_FAILED)
    assert "could not be reached" in body["detail"]
    assert Student.objects.filter(pk=student.pk).exists()
    assert Submission.objects.get(student=student).has_file()


def test_it_shows_the_audit_trail_and_submissions(api, student):
    post_upload(api, student)
    base = f"/api/v1/exams/{student.exam_id}/students/{student.pk}"

    events = api.get(f"{base}/events").json()
    assert events[0]["kind"] == "upload_accepted"
    assert events[0]["label"] == "Upload accepted"
    submissions = api.get(f"{base}/submissions").json()
    assert len(submissions) == 1 and submissions[0]["is_current"]


def test_the_examiners_download_url_is_logged_and_works(api, student, client):
    post_upload(api, student, b"%PDF-1.7 mine")
    submission = student.submissions.get()
    url = (
        f"/api/v1/exams/{student.exam_id}/students/{student.pk}"
        f"/submissions/{submission.pk}/download-url"
    )

    link = api.get(url).json()

    assert link["download_url_expires_in_seconds"] == 600
    assert b"".join(client.get(link["download_url"]).streaming_content) == b"%PDF-1.7 mine"
    assert Event.objects.filter(kind="download", detail__contains="API token").exists()


def test_a_deleted_file_has_no_download_url(api, student):
    post_upload(api, student)
    submission = student.submissions.get()
    Submission.objects.filter(pk=submission.pk).update(file_deleted_at=timezone.now())
    url = (
        f"/api/v1/exams/{student.exam_id}/students/{student.pk}"
        f"/submissions/{submission.pk}/download-url"
    )

    problem(api.get(url), 410)


def test_the_roster_comes_as_json_and_as_the_pages_csv(api, student, exam, examiner_client):
    post_upload(api, student)
    StudentFactory(exam=exam, first_name="=cmd")

    rows = api.get(f"/api/v1/exams/{exam.pk}/roster").json()
    csv = b"".join(api.get(f"/api/v1/exams/{exam.pk}/roster.csv").streaming_content)
    page = b"".join(examiner_client.get(f"/exams/{exam.pk}/roster.csv").streaming_content)

    assert csv == page
    assert b"'=cmd" in csv
    mine = next(row for row in rows if row["nickname"] == student.nickname)
    assert mine["sha256"] == sha256(b"%PDF-1.7 my answers")
    assert mine["uploads_used"] == 1


def test_the_rosters_keys_stay_english_in_a_german_request(api, student, exam):
    """The CSV's headings follow the language; a script's keys never do."""
    rows = api.get(f"/api/v1/exams/{exam.pk}/roster", HTTP_ACCEPT_LANGUAGE="de").json()
    csv = b"".join(
        api.get(f"/api/v1/exams/{exam.pk}/roster.csv", HTTP_ACCEPT_LANGUAGE="de").streaming_content
    )

    assert list(rows[0])[:3] == ["nickname", "first_name", "last_name"]
    assert "sha256" in rows[0] and "file_kept_until" in rows[0]
    assert csv.decode("utf-8-sig").startswith("Kennung,Vorname,Nachname,")


# --- Public: by code ------------------------------------------------------------------


def upload(client, student, content=b"%PDF-1.7 answer", name="answer.pdf", **headers):
    return client.post(
        f"/api/v1/uploads/{student.upload_code}", {"file": answer(content, name)}, **headers
    )


def test_an_upload_needs_no_token_and_gets_a_receipt(client, student):
    response = upload(client, student)

    assert response.status_code == 201
    body = response.json()
    submission = student.submissions.get()
    assert body["submission"]["verification_code"] == submission.display_code
    assert body["submission"]["sha256"] == sha256(b"%PDF-1.7 answer")
    assert body["submission"]["md5"] is None
    assert body["uploads_left"] == 4


def test_the_same_idempotency_key_uses_one_upload(client, student):
    first = upload(client, student, HTTP_IDEMPOTENCY_KEY="retry-1")
    second = upload(client, student, HTTP_IDEMPOTENCY_KEY="retry-1")

    assert first.json()["submission"] == second.json()["submission"]
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_an_idempotency_key_belongs_to_one_student(client, student):
    other = StudentFactory(exam=student.exam)

    assert upload(client, student, HTTP_IDEMPOTENCY_KEY="1").status_code == 201
    assert upload(client, other, HTTP_IDEMPOTENCY_KEY="1").status_code == 201
    assert other.submissions.count() == 1


def test_an_idempotency_key_of_65_characters_422s(client, student):
    assert upload(client, student, HTTP_IDEMPOTENCY_KEY="k" * 64).status_code == 201
    problem(upload(client, student, HTTP_IDEMPOTENCY_KEY="k" * 65), 422)


def test_the_sixth_upload_is_refused_like_on_the_page(client, student):
    for _ in range(5):
        assert upload(client, student).status_code == 201

    body = problem(upload(client, student), 403)

    assert body["detail"].startswith("You have used all your uploads")
    assert body["code"] == "no_uploads_left"


def test_a_closed_exam_refuses(client, student):
    student.exam.set_manual_state("closed")

    body = problem(upload(client, student), 403)

    assert body["code"] == "exam_closed"
    assert body["detail"].startswith("Uploads for this exam are closed")


def test_the_exams_file_types_apply(client, student):
    student.exam.allowed_extensions = "pdf"
    student.exam.save()

    body = problem(upload(client, student, b"hello", "answer.txt"), 422)
    assert body["code"] == "file_type_not_allowed"
    body = problem(upload(client, student, b"not a pdf", "answer.pdf"), 422)
    assert body["code"] == "file_content_mismatch"
    assert not student.submissions.exists()
    assert Event.objects.filter(kind="upload_refused").count() == 2


def test_an_empty_file_and_no_file_422(client, student):
    assert problem(upload(client, student, b""), 422)["code"] == "empty"
    response = client.post(f"/api/v1/uploads/{student.upload_code}", {})
    assert problem(response, 422)["errors"][0]["field"] == "file"


def test_a_file_one_byte_over_the_limit_is_413_and_at_the_limit_201(client, student):
    student.exam.max_upload_bytes = 2048
    student.exam.save()

    body = problem(upload(client, student, b"%PDF-" + b"x" * 2044), 413)
    assert body["code"] == "file_too_large"
    assert upload(client, student, b"%PDF-" + b"x" * 2043).status_code == 201


def test_an_unknown_code_404s_and_counts_as_a_miss(client, settings):
    settings.CODE_MISS_LIMIT = 3
    for code in ["x" * 32, "short", secrets.token_urlsafe(24)]:
        problem(client.get(f"/api/v1/uploads/{code}"), 404)

    body = problem(client.get(f"/api/v1/verifications/{'A' * 12}"), 429)

    assert int(body and client.get("/api/v1/uploads/whatever")["Retry-After"]) > 0
    assert "Many wrong upload links" in body["detail"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_api_and_the_pages_refuse_a_blocked_client_with_one_sentence(
    client, settings, language
):
    settings.CODE_MISS_LIMIT = 1
    problem(client.get("/api/v1/uploads/" + "y" * 32), 404)
    with time_machine.travel(timezone.now(), tick=False):
        page = client.get(f"/u/{'z' * 32}/", HTTP_ACCEPT_LANGUAGE=language)
        api = client.get(f"/api/v1/verifications/{'A' * 12}", HTTP_ACCEPT_LANGUAGE=language)

    body = problem(api, 429)
    assert page.status_code == 429
    assert body["detail"] in page.content.decode()
    assert ("Netzwerk" in body["detail"]) == (language == "de")
    assert page["Retry-After"] == api["Retry-After"]


def test_a_blocked_client_gets_429_before_its_upload_is_read(client, student, settings):
    settings.CODE_MISS_LIMIT = 1
    problem(client.get("/api/v1/uploads/" + "y" * 32), 404)

    problem(upload(client, student), 429)

    assert not student.submissions.exists()


def test_right_codes_never_count(client, student, settings):
    settings.CODE_MISS_LIMIT = 2
    for _ in range(5):
        assert client.get(f"/api/v1/uploads/{student.upload_code}").status_code == 200


def test_only_wrong_codes_count_not_other_refusals_at_a_right_code(client, student, settings):
    """A script whose uploads are refused (no file, 422) at its right code is not a guesser."""
    settings.CODE_MISS_LIMIT = 2
    for _ in range(4):
        problem(client.post(f"/api/v1/uploads/{student.upload_code}", {}), 422)

    assert client.get(f"/api/v1/uploads/{student.upload_code}").status_code == 200


def test_the_upload_status_says_what_the_page_says(client, student):
    upload(client, student)

    body = client.get(f"/api/v1/uploads/{student.upload_code}").json()

    assert (body["uploads_used"], body["uploads_left"], body["can_upload"]) == (1, 4, True)
    assert body["current_submission"]["verification_code"] == student.submissions.get().display_code


def test_verification_gives_the_metadata_and_a_working_link(client, student):
    upload(client, student, b"%PDF-1.7 checked")
    submission = student.submissions.get()
    typed = submission.display_code.lower().replace("-", " ")

    body = client.get(f"/api/v1/verifications/{typed}").json()

    assert body["sha256"] == sha256(b"%PDF-1.7 checked")
    assert body["file_available"] is True
    assert b"".join(client.get(body["download_url"]).streaming_content) == b"%PDF-1.7 checked"
    assert Event.objects.filter(kind="lookup").count() == 1


def test_verification_of_a_superseded_file_has_no_link(client, student):
    upload(client, student)
    first = student.submissions.get()
    upload(client, student)

    body = client.get(f"/api/v1/verifications/{first.verification_code}").json()

    assert (body["is_current"], body["file_available"], body["download_url"]) == (
        False,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("on", True), ("1", True), ("true", True), ("YES", True), ("", False), ("0", False)]
    + [("false", False), ("no", False), ("off", False)],
)
def test_the_api_reads_the_honour_statement_as_the_page_does(client, student, value, accepted):
    student.exam.statement = "This is my own work."
    student.exam.save()
    other = StudentFactory(exam=student.exam)

    page = post_upload(client, student, statement=value)
    api = client.post(
        f"/api/v1/uploads/{other.upload_code}",
        {"file": answer(b"%PDF-1.7 answer"), "statement_accepted": value},
    )

    assert (page.status_code == 302, api.status_code == 201) == (accepted, accepted)


# --- Signed receipts and blind review -------------------------------------------------


def test_an_upload_returns_the_signed_receipt_as_the_page_gives_it(client, student):
    from submissions import receipts

    body = upload(client, student, b"%PDF-1.7 signed").json()

    submission = student.submissions.get()
    signed = body["submission"]["signed_receipt"]
    assert signed == receipts.receipt_file(submission)
    assert receipts.check(json.dumps(signed)).valid
    assert signed["facts"]["sha256"] == sha256(b"%PDF-1.7 signed")
    status = client.get(f"/api/v1/uploads/{student.upload_code}").json()
    assert status["current_submission"]["signed_receipt"] == signed


def test_an_upload_from_before_signing_has_a_null_signed_receipt(client, student):
    upload(client, student)
    Submission.objects.update(receipt_jws="")

    status = client.get(f"/api/v1/uploads/{student.upload_code}").json()

    assert status["current_submission"]["signed_receipt"] is None


def test_blind_review_is_an_exam_setting_of_the_api(api, exam):
    assert api.get(f"/api/v1/exams/{exam.pk}").json()["blind_review"] is False

    body = api.patch(f"/api/v1/exams/{exam.pk}", {"blind_review": True}, content_type=JSON).json()

    assert body["blind_review"] is True
    exam.refresh_from_db()
    assert exam.blind_review is True


def test_verification_under_blind_review_names_no_student(client, exam, student):
    exam.blind_review = True
    exam.save()
    upload(client, student)
    code = student.submissions.get().display_code

    body = client.get(f"/api/v1/verifications/{code}").json()

    assert body["student_name"] is None
    assert student.last_name not in json.dumps(body)
    assert student.nickname not in json.dumps(body)
    assert body["signed_receipt"]["facts"]["code"] == code


@pytest.mark.parametrize("path", ["/api/v1/uploads/{}", "/api/v0/submissions/{}"])
def test_an_upload_while_storage_is_down_is_a_503_to_retry(client, student, s3, settings, path):
    """A real fault: the storage's address answers nothing (a closed port)."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "endpoint_url": CLOSED}},
    }

    response = client.post(path.format(student.upload_code), {"file": answer()})

    body = problem(response, 503)
    assert response["Retry-After"] == "60"
    assert body["code"] == "unavailable"
    student.refresh_from_db()
    assert (student.uploads_used, student.submissions.count()) == (0, 0)

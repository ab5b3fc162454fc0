import io
import json
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from depository.logs import JsonLines, redact
from students import codes


@pytest.fixture
def log_lines():
    """What the configured console handler writes, as parsed JSON lines."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonLines))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "depository.requests"]


@pytest.mark.django_db
def test_each_request_is_one_json_line_naming_its_route_not_its_path(client, student, log_lines):
    response = client.get(student.get_upload_url())

    (line,) = request_lines(log_lines())
    assert line["method"] == "GET"
    assert line["route"] == "submissions:upload"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["client_network"] == "127.0.0.1"
    assert line["request_id"] == response["X-Request-Id"]
    assert student.upload_code not in json.dumps(log_lines())


@pytest.mark.django_db
def test_an_ipv6_client_is_logged_by_its_network(client, log_lines):
    client.get("/healthz", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")

    (line,) = request_lines(log_lines())
    assert line["client_network"] == "2001:db8:1:2::/64"


@pytest.mark.django_db
def test_a_path_no_route_matches_is_logged_without_a_route(client, log_lines):
    client.get("/no-such-page/")

    (line,) = request_lines(log_lines())
    assert line["route"] is None
    assert line["status"] == 404
    assert "no-such-page" not in json.dumps(log_lines())


@pytest.mark.django_db
def test_a_wrong_code_is_masked_in_djangos_not_found_line(client, log_lines):
    code = codes.new_upload_code()

    client.get(f"/u/{code}/")

    lines = log_lines()
    assert any(line["message"] == "Not Found: <submissions:upload>" for line in lines)
    assert code not in json.dumps(lines)


@pytest.mark.django_db
def test_fly_names_the_request_when_the_app_is_behind_its_proxy(client, settings, log_lines):
    settings.BEHIND_FLY_PROXY = True

    response = client.get("/healthz", headers={"Fly-Request-Id": "01J0ABCDEF-ams"})

    assert response["X-Request-Id"] == "01J0ABCDEF-ams"
    assert request_lines(log_lines())[0]["request_id"] == "01J0ABCDEF-ams"


@pytest.mark.django_db
def test_a_request_id_header_is_not_trusted_away_from_flys_proxy(client, log_lines):
    response = client.get("/healthz", headers={"Fly-Request-Id": "01J0ABCDEF-ams"})

    assert response["X-Request-Id"] != "01J0ABCDEF-ams"
    assert len(response["X-Request-Id"]) == 32


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["x" * 65, "a b", 'a"b'])
def test_a_malformed_request_id_is_replaced(client, settings, log_lines, given):
    settings.BEHIND_FLY_PROXY = True

    response = client.get("/healthz", headers={"Fly-Request-Id": given})

    assert len(response["X-Request-Id"]) == 32
    assert response["X-Request-Id"] != given


@pytest.mark.django_db
def test_a_request_id_of_64_characters_is_kept(client, settings, log_lines):
    settings.BEHIND_FLY_PROXY = True

    response = client.get("/healthz", headers={"Fly-Request-Id": "x" * 64})

    assert response["X-Request-Id"] == "x" * 64


@pytest.mark.django_db
def test_an_accepted_upload_is_one_line_with_the_requests_id(client, student, log_lines):
    response = client.post(
        student.get_upload_url(),
        {"file": SimpleUploadedFile("answer.pdf", b"%PDF-1.7\n answer"), "form_token": "t1"},
    )

    assert response.status_code == 302
    lines = log_lines()
    (outcome,) = [line for line in lines if line["logger"] == "submissions.uploads"]
    submission = student.submissions.get()
    assert outcome["message"] == "upload accepted"
    assert outcome["student_id"] == student.pk
    assert outcome["submission_id"] == submission.pk
    assert outcome["request_id"] == response["X-Request-Id"]
    assert "reason" not in outcome
    assert submission.verification_code not in json.dumps(lines)
    assert "answer.pdf" not in json.dumps(lines)


@pytest.mark.django_db
def test_a_refused_upload_is_one_line_with_its_reason(client, student, log_lines):
    student.exam.max_upload_bytes = 1024
    student.exam.save()
    one_byte_over = b"%PDF-1.7\n" + bytes(1024 - 8)

    response = client.post(
        student.get_upload_url(),
        {"file": SimpleUploadedFile("answer.pdf", one_byte_over), "form_token": "t1"},
    )

    assert response.status_code == 413
    (outcome,) = [line for line in log_lines() if line["logger"] == "submissions.uploads"]
    assert outcome["outcome"] == "refused"
    assert outcome["submission_id"] is None
    assert "the limit is 1,024 bytes" in outcome["reason"]  # bytes: both sizes read 1.0 KB


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not Found: /u/abcDEF123_-abcDEF123_-/", "Not Found: /u/[redacted]"),
        ('"GET /u/abcDEF/receipt/7KQ2M9XD3HFP/ HTTP/1.1"', '"GET /u/[redacted] HTTP/1.1"'),
        ("/verify/?code=7KQ2-M9XD-3HFP", "/verify/?[redacted]"),
        ("/verify/7KQ2-M9XD-3HFP/download/", "/verify/[redacted]"),
        ("/files/eyJhbGciOi:1t2:sig/", "/files/[redacted]"),
        ("https://r2/b/key?X-Amz-Signature=abc&X-Amz-Credential=k", "https://r2/b/key?[redacted]"),
        ("/verify/ and /exams/3/ stay", "/verify/ and /exams/3/ stay"),
        (
            '"POST /api/v1/uploads/abcDEF123_-/ HTTP/1.1"',
            '"POST /api/v1/uploads/[redacted] HTTP/1.1"',
        ),
        ("/api/v1/verifications/7KQ2-M9XD-3HFP", "/api/v1/verifications/[redacted]"),
        ("/api/v0/submissions/abcDEF123_-", "/api/v0/submissions/[redacted]"),
        ("/api/v0/verifications/7KQ2/download_url", "/api/v0/verifications/[redacted]"),
        ("/accounts/reset/MQ/cz8w-abc123/", "/accounts/reset/[redacted]"),
        ("/accounts/invitation/MQ/cz8w-abc123/", "/accounts/invitation/[redacted]"),
        ("/api/v1/exams/3/students stays", "/api/v1/exams/3/students stays"),
        (
            'File "/venv/django/core/files/storage/base.py"',
            'File "/venv/django/core/files/storage/base.py"',
        ),
        (
            "550 5.1.1 <ada.l+x@mail.example.org>: no such user",
            "550 5.1.1 <[address]>: no such user",
        ),
    ],
)
def test_redact_masks_codes_and_query_strings(text, expected):
    assert redact(text) == expected


def every_api_operation():
    from api import v0, v1

    for version, api in (("v0", v0.api), ("v1", v1.api)):
        schema = api.get_openapi_schema(path_prefix=f"/api/{version}")
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                yield version, method, path, operation["operationId"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "version, method, path, operation_id",
    list(every_api_operation()),
    ids=lambda value: str(value),
)
def test_each_api_operation_is_logged_by_its_own_name(
    client, log_lines, version, method, path, operation_id
):
    """POST /exams is create_exam, not list_exams, whose URL pattern it shares."""
    url = re.sub(r"\{[^}]+\}", "1", path)

    getattr(client, method)(url, content_type="application/json")

    (line,) = request_lines(log_lines())
    assert line["method"] == method.upper()
    namespace, name = line["route"].split(":")
    assert namespace == f"api-{version}"
    assert operation_id.endswith(f"_{name}")

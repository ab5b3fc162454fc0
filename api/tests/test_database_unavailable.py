"""PostgreSQL out of reach (nothing listens where DATABASE_URL points) while gunicorn serves
the app as production does: every API route answers a 503 problem with Retry-After, as the
pages do, and the log lines it writes name routes, never the codes or tokens in a request."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from api.tests.conftest import bearer
from students import codes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOWHERE = "postgres://postgres@127.0.0.1:9/depository"  # the discard port: nothing listens


def request(url, method, path, headers=None, body=None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def served(app_servers):
    (url,) = app_servers.start(
        workers=1, threads=4, DATABASE_URL=NOWHERE, DATABASE_POOL_TIMEOUT="2", LOG_LEVEL="INFO"
    )
    return url


def test_every_kind_of_api_route_answers_503_with_retry_after(served, app_servers, token):
    upload_code = codes.new_upload_code()
    auth = {"Authorization": bearer(token)["HTTP_AUTHORIZATION"]}
    boundary = "b0undary"
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7 answer\r\n--{boundary}--\r\n"
    ).encode()
    calls = {
        "v1 upload status": ("GET", f"/api/v1/uploads/{upload_code}", {}, None),
        "v1 upload": (
            "POST",
            f"/api/v1/uploads/{upload_code}",
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            upload,
        ),
        "v1 verification": ("GET", "/api/v1/verifications/7KQ2-M9XD-3HFP", {}, None),
        "v1 exams (token)": ("GET", "/api/v1/exams", auth, None),
        "v0 submission": ("GET", f"/api/v0/submissions/{upload_code}", {}, None),
        "v0 students (token)": ("GET", "/api/v0/students", auth, None),
    }

    answers = {name: request(served, *call) for name, call in calls.items()}

    for name, (status, headers, body) in answers.items():
        assert status == 503, (name, body)
        assert headers["Content-Type"] == "application/problem+json", name
        assert headers["Retry-After"] == "60", name
        problem = json.loads(body)
        assert problem["code"] == "database_unavailable", name
        assert "try again in a minute" in problem["detail"], name
    logs = app_servers.logs()
    assert "the database is unavailable" in logs
    assert upload_code not in logs
    assert "7KQ2-M9XD-3HFP" not in logs
    assert token.token not in logs


def test_the_documents_say_any_route_may_answer_503(client):
    for version in ("v1", "v0"):
        schema = client.get(f"/api/{version}/openapi.json").json()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                assert "503" in operation["responses"], (version, method, path)

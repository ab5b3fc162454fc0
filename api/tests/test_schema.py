"""
A bounded property-based run of schemathesis against each version's own OpenAPI schema,
through the WSGI app: generated requests, valid and not, must never get a 500, and every
answer must match the schema (status code, content type, body, headers). Path parameters
name real objects half the time, so the answers are not all 404s.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiToken
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.tests.helpers import post_upload

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Enough to find what the first runs found (a 500, an undeclared status); small enough that
# both versions together take seconds, not minutes.
BOUNDED = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

app = get_wsgi_application()
v1 = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
v0 = schemathesis.openapi.from_wsgi("/api/v0/openapi.json", app)


@pytest.fixture
def world(db, client, settings):
    settings.CODE_MISS_LIMIT = 10_000  # guessed codes are the point here, not the throttle
    examiner = UserFactory()
    exam = ExamFactory(owner=examiner)
    student = StudentFactory(exam=exam)
    post_upload(client, student)
    _, token = ApiToken.objects.issue(examiner, name="fuzz", scope="read-write", exam=exam)
    # As Django's test client does: the WSGI app must not close the test's connection. (Set
    # after the upload above: the test client connects these again when it is done.)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "token": token,
        "exam_id": exam.pk,
        "student_id": student.pk,
        "submission_id": student.submissions.get().pk,
        "upload_code": student.upload_code,
        "verification_code": student.submissions.get().verification_code,
        "nickname": student.nickname,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def aim(case, world):
    """Point about half of the generated path parameters at real objects."""
    for name, value in list((case.path_parameters or {}).items()):
        if name in world and hash(str(value)) % 2 == 0:
            case.path_parameters[name] = world[name]


@pytest.mark.django_db
@v1.parametrize()
@BOUNDED
def test_v1_keeps_to_its_schema(case, world):
    aim(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS)


@pytest.mark.django_db
@v0.parametrize()
@BOUNDED
def test_v0_keeps_to_its_schema(case, world):
    aim(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS)


@pytest.mark.parametrize("version", ["v1", "v0"])
def test_the_schema_is_plain_openapi_3_without_duplicate_keys(client, version):
    """Swagger UI reads the schema as YAML and refuses a key written twice."""
    import json

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
        return dict(pairs)

    response = client.get(f"/api/{version}/openapi.json")

    schema = json.loads(response.content, object_pairs_hook=no_duplicates)
    assert schema["openapi"].startswith("3.")
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    assert list(answer["content"]) == ["application/problem+json"]

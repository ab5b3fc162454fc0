"""
Every /api/v1/ operation that names an exam, student or submission, found in the OpenAPI
schema (so operations added later are walked too), answers 404 for another examiner's
objects, for a token bound to another exam, and never 403.
"""

import itertools

import pytest

from api.models import ApiToken
from api.v1 import api as v1
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

KINDS = {"exam_id": "exam", "student_id": "student", "submission_id": "submission"}
ONE = {"nickname": "walker", "first_name": "Walk", "last_name": "Er"}
# A valid body for each operation that takes one, so the answer is about the objects.
BODIES = {
    "/api/v1/exams/{exam_id}/students": ONE,
    "/api/v1/exams/{exam_id}/students/bulk": {"students": [ONE]},
}


def operations():
    schema = v1.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in schema["paths"].items():
        params = [name for name in KINDS if "{" + name + "}" in path]
        for method, operation in methods.items():
            if params and operation.get("security"):
                yield method, path, params


def objects_of(examiner, client):
    exam = ExamFactory(owner=examiner)
    student = StudentFactory(exam=exam)
    post_upload(client, student)
    return {"exam": exam, "student": student, "submission": student.submissions.get()}


def call(client, token, method, path, url):
    kwargs = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method in {"post", "patch", "put"}:
        kwargs["data"] = BODIES.get(path, {})
    return getattr(client, method)(url, **kwargs)


def test_the_walk_finds_every_examiner_operation():
    found = {(method, path) for method, path, _ in operations()}
    assert len(found) >= 12


def test_every_operation_404s_for_another_examiners_objects(client):
    me, them = UserFactory(), UserFactory()
    theirs, mine = objects_of(them, client), objects_of(me, client)
    _, token = ApiToken.objects.issue(me, name="walk", scope="read-write")

    for method, path, params in operations():
        for owners in itertools.product([theirs, mine], repeat=len(params)):
            if all(owner is mine for owner in owners):
                continue
            url = path
            for param, owner in zip(params, owners, strict=True):
                url = url.replace("{" + param + "}", str(owner[KINDS[param]].pk))
            response = call(client, token, method, path, url)
            assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


def test_a_bound_token_404s_for_the_examiners_other_exams(client):
    me = UserFactory()
    bound, other = objects_of(me, client), objects_of(me, client)
    _, token = ApiToken.objects.issue(me, name="walk", scope="read-write", exam=bound["exam"])

    for method, path, params in operations():
        url = path
        for param in params:
            url = url.replace("{" + param + "}", str(other[KINDS[param]].pk))
        response = call(client, token, method, path, url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


def test_every_operation_works_for_the_owner(client):
    """Not 404 with the examiner's own objects, so the walk above is not passing for a wrong
    reason (fresh objects for each operation: some delete)."""
    me = UserFactory()
    _, token = ApiToken.objects.issue(me, name="walk", scope="read-write")
    for method, path, params in operations():
        mine = objects_of(me, client)
        url = path
        for param in params:
            url = url.replace("{" + param + "}", str(mine[KINDS[param]].pk))
        response = call(client, token, method, path, url)
        assert response.status_code != 404, f"{method.upper()} {url}: {response.content}"


def test_every_examiner_operation_needs_a_token(client):
    mine = objects_of(UserFactory(), client)
    for method, path, params in operations():
        url = path
        for param in params:
            url = url.replace("{" + param + "}", str(mine[KINDS[param]].pk))
        response = getattr(client, method)(url)
        assert response.status_code == 401, f"{method.upper()} {url}"


def test_every_operation_works_for_a_co_examiner(client):
    """A co-examiner's token reaches the exams shared with them, as the dashboard does."""
    owner, co_examiner = UserFactory(), UserFactory()
    _, token = ApiToken.objects.issue(co_examiner, name="walk", scope="read-write")
    for method, path, params in operations():
        shared = objects_of(owner, client)
        shared["exam"].co_examiners.add(co_examiner)
        url = path
        for param in params:
            url = url.replace("{" + param + "}", str(shared[KINDS[param]].pk))
        response = call(client, token, method, path, url)
        assert response.status_code != 404, f"{method.upper()} {url}: {response.content}"


def test_a_co_examiners_token_lists_shared_exams_and_no_others(client):
    owner, co_examiner = UserFactory(), UserFactory()
    shared, unshared = ExamFactory(owner=owner), ExamFactory(owner=owner)
    shared.co_examiners.add(co_examiner)
    _, token = ApiToken.objects.issue(co_examiner, name="list", scope="read")

    response = client.get("/api/v1/exams", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert [exam["id"] for exam in response.json()] == [shared.pk]
    assert unshared.pk != shared.pk

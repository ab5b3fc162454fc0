"""A request body must be a JSON object: anything else is refused with a problem document,
never read by its attributes (the string "AAA" once made an exam titled "Aaa")."""

import pytest

from api.tests.conftest import bearer
from api.tests.test_v1 import JSON, problem
from students.models import Exam, Student

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body, kind",
    [('"AAA"', "a string"), ("[]", "an array"), ("42", "a number"), ("true", "true or false")],
)
def test_an_exam_body_that_is_not_an_object_is_refused(api, body, kind):
    response = api.post("/api/v1/exams", body, content_type=JSON)

    answer = problem(response, 422)
    assert (
        answer["detail"]
        == f"The request is not valid: body: must be a JSON object ({{...}}), not {kind}"
    )
    assert not Exam.objects.exists()


def test_a_body_that_is_null_is_refused(api):
    assert problem(api.post("/api/v1/exams", "null", content_type=JSON), 422)
    assert not Exam.objects.exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("patch", "/api/v1/exams/{exam}"),
        ("post", "/api/v1/exams/{exam}/students"),
        ("post", "/api/v1/exams/{exam}/students/bulk"),
        ("patch", "/api/v1/exams/{exam}/students/{student}"),
    ],
)
def test_every_body_must_be_an_object(api, student, method, path):
    url = path.format(exam=student.exam_id, student=student.pk)

    response = getattr(api, method)(url, '"AAA"', content_type=JSON)

    assert "must be a JSON object" in problem(response, 422)["detail"]
    student.refresh_from_db()
    assert student.first_name != "Aaa" and Student.objects.count() == 1


def test_a_bulk_item_that_is_not_an_object_is_named(api, exam):
    response = api.post(
        f"/api/v1/exams/{exam.pk}/students/bulk", '{"students": ["AAA"]}', content_type=JSON
    )

    body = problem(response, 422)
    assert body["errors"][0]["field"] == "students.0"
    assert not exam.students.exists()


def test_an_object_still_creates_the_exam(api):
    assert api.post("/api/v1/exams", '{"title": "AAA"}', content_type=JSON).status_code == 201
    assert Exam.objects.get().title == "AAA"


def test_v0_refuses_a_body_that_is_not_an_object(client, make_token, exam):
    client.defaults.update(bearer(make_token(exam=exam)))

    response = client.post("/api/v0/students", '"AAA"', content_type=JSON)

    assert response.status_code == 422
    assert not exam.students.exists()

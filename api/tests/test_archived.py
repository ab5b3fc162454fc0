"""
An archived exam is read-only through the API as on the dashboard, by the same rule
(Exam.refuse_if_archived): every change to it or its students answers 409 with the sentence
the dashboard shows; reads go on, and uploads by code go on as on the page.
"""

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.tests.conftest import bearer
from api.tests.test_ownership import KINDS, call, objects_of, operations
from api.tests.test_v0 import new_student
from api.tests.test_v1 import JSON, problem
from students.tests.factories import StudentFactory, UserFactory
from submissions.models import Submission
from submissions.tests.helpers import answer, post_upload

pytestmark = pytest.mark.django_db


def archived(exam):
    exam.archive()
    return f"“{exam.title}” is archived, so it is read-only. Restore it to change it."


def refused(response, sentence):
    body = problem(response, 409)
    assert body["code"] == "exam_archived"
    assert body["detail"] == sentence
    return body


def test_every_change_409s_and_every_read_goes_on(client):
    """Walks every examiner operation of the schema, so one added later is walked too."""
    me = UserFactory()
    _, token = ApiToken.objects.issue(me, name="walk", scope="read-write")
    for method, path, params in operations():
        mine = objects_of(me, client)
        sentence = archived(mine["exam"])
        url = path
        for param in params:
            url = url.replace("{" + param + "}", str(mine[KINDS[param]].pk))
        response = call(client, token, method, path, url)
        if method == "get":
            assert response.status_code == 200, f"GET {url}: {response.content}"
        else:
            refused(response, sentence)
            assert mine["exam"].students.get() == mine["student"]
            assert mine["student"].submissions.get().has_file()


def test_the_sentence_is_the_dashboards(api, examiner_client, exam):
    sentence = archived(exam)

    page = examiner_client.post(reverse("students:exam_edit", args=[exam.pk]), {"title": "X"})
    response = api.patch(f"/api/v1/exams/{exam.pk}", {"title": "X"}, content_type=JSON)

    assert page.status_code == 403 and sentence in page.content.decode()
    refused(response, sentence)


def test_nothing_changes(api, student, exam):
    sentence = archived(exam)
    base = f"/api/v1/exams/{exam.pk}"
    one = {"nickname": "n1", "first_name": "A", "last_name": "B"}

    refused(api.patch(base, {"title": "Changed"}, content_type=JSON), sentence)
    refused(api.post(f"{base}/students", one, content_type=JSON), sentence)
    refused(api.post(f"{base}/students/bulk", {"students": [one]}, content_type=JSON), sentence)
    refused(
        api.patch(
            f"{base}/students/{student.pk}",
            {"first_name": "Changed", "extended_until": "2030-01-01T10:00:00+00:00"},
            content_type=JSON,
        ),
        sentence,
    )
    refused(api.delete(f"{base}/students/{student.pk}"), sentence)

    exam.refresh_from_db()
    student.refresh_from_db()
    assert exam.title != "Changed"
    assert list(exam.students.all()) == [student]
    assert student.first_name != "Changed" and student.extended_until is None


def test_a_restored_exam_takes_changes_again(api, exam):
    archived(exam)
    exam.restore()

    response = api.patch(f"/api/v1/exams/{exam.pk}", {"title": "Changed"}, content_type=JSON)

    assert response.status_code == 200 and response.json()["title"] == "Changed"


def test_a_read_token_is_told_it_may_only_read(client, make_token, exam):
    archived(exam)
    token = make_token(scope="read")

    response = client.patch(
        f"/api/v1/exams/{exam.pk}", {"title": "X"}, content_type=JSON, **bearer(token)
    )

    assert problem(response, 403)["code"] == "read_only_token"


def test_a_co_examiner_is_refused_the_same(client, make_token, exam):
    colleague = UserFactory()
    exam.co_examiners.add(colleague)
    student = StudentFactory(exam=exam)
    sentence = archived(exam)

    response = client.delete(
        f"/api/v1/exams/{exam.pk}/students/{student.pk}", **bearer(make_token(user=colleague))
    )

    refused(response, sentence)


def test_another_examiners_archived_exam_still_404s(client, make_token, exam):
    archived(exam)
    stranger = make_token(user=UserFactory())

    response = client.patch(
        f"/api/v1/exams/{exam.pk}", {"title": "X"}, content_type=JSON, **bearer(stranger)
    )

    assert problem(response, 404)["code"] == "not_found"


# --- v0 -------------------------------------------------------------------------------


def test_v0_refuses_a_new_student_and_still_reads(client, make_token, exam):
    sentence = archived(exam)
    v0 = bearer(make_token(exam=exam))

    response = client.post("/api/v0/students", new_student(), content_type=JSON, **v0)

    refused(response, sentence)
    assert not exam.students.exists()
    assert client.get("/api/v0/students", **v0).status_code == 200


# --- Uploads by code, as on the page --------------------------------------------------


def test_uploads_go_on_as_on_the_page(client, exam):
    """The page takes an upload to an archived exam (its times decide, not the archive)."""
    archived(exam)
    on_page, by_v1, by_v0 = StudentFactory.create_batch(3, exam=exam)

    page = post_upload(client, on_page)
    v1 = client.post(f"/api/v1/uploads/{by_v1.upload_code}", {"file": answer()})
    v0 = client.post(f"/api/v0/submissions/{by_v0.upload_code}", {"file": answer()})

    assert page.status_code == 302
    assert v1.status_code == 201 and v0.status_code == 201, (v1.content, v0.content)
    assert Submission.objects.filter(student__exam=exam).count() == 3
    status = client.get(f"/api/v1/uploads/{by_v1.upload_code}").json()
    assert status["can_upload"] is True and status["uploads_left"] == 4

"""Extra uploads for one student: the limit becomes the exam's uploads plus the student's
extra, on every page, in the counts, the API and the upload itself."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from students.models import MAX_EXTRA_UPLOADS, Student
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Event
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def extra_url(student):
    return reverse("students:student_extra_uploads", args=[student.exam_id, student.pk])


def test_it_gives_extra_uploads_and_logs_who_did(examiner_client, examiner, student):
    response = examiner_client.post(extra_url(student), {"extra_uploads": 2})

    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.extra_uploads, student.max_uploads(), student.uploads_left()) == (2, 7, 7)
    event = student.events.get(kind=Event.Kind.EXTRA_UPLOADS)
    assert event.by == examiner and event.detail == "2 extra, 7 in all"
    page = examiner_client.get(student.get_absolute_url()).content.decode()
    assert "0 of 7" in page and examiner.username in page


def test_zero_takes_them_back(examiner_client, student):
    examiner_client.post(extra_url(student), {"extra_uploads": 3})
    examiner_client.post(extra_url(student), {"extra_uploads": 0})

    student.refresh_from_db()
    assert student.extra_uploads == 0
    assert student.events.filter(kind=Event.Kind.EXTRA_UPLOADS).count() == 2


@pytest.mark.parametrize(("given", "status"), [(MAX_EXTRA_UPLOADS, 302), (-1, 422), (51, 422)])
def test_it_takes_0_to_50(examiner_client, student, given, status):
    assert examiner_client.post(extra_url(student), {"extra_uploads": given}).status_code == status


def test_the_form_says_what_the_student_has(examiner_client, student):
    response = examiner_client.get(extra_url(student))

    assert response.status_code == 200
    assert "The exam gives every student 5 uploads" in response.content.decode()


def test_another_examiner_gets_404(client, student):
    client.force_login(UserFactory())

    assert client.post(extra_url(student), {"extra_uploads": 2}).status_code == 404
    student.refresh_from_db()
    assert student.extra_uploads == 0


@pytest.mark.parametrize("extra", [-1, MAX_EXTRA_UPLOADS + 1])
def test_the_database_refuses_extra_uploads_out_of_range(student, extra):
    with pytest.raises(IntegrityError), transaction.atomic():
        Student.objects.filter(pk=student.pk).update(extra_uploads=extra)


def test_an_extra_upload_lets_a_spent_student_upload_exactly_once_more(client, examiner):
    student = StudentFactory(exam=ExamFactory(owner=examiner, max_uploads=1))
    assert post_upload(client, student).status_code == 302
    assert post_upload(client, student).status_code == 403

    student.give_extra_uploads(1, by=examiner)

    assert post_upload(client, student).status_code == 302
    assert post_upload(client, student).status_code == 403
    student.refresh_from_db()
    assert student.uploads_used == 2


def test_the_counts_and_the_filter_follow_extra_uploads(examiner_client, exam):
    spent = StudentFactory(exam=exam, nickname="spent", uploads_used=5)
    StudentFactory(exam=exam, nickname="more", uploads_used=5, extra_uploads=1)
    StudentFactory(exam=exam, nickname="used_extra", uploads_used=6, extra_uploads=1)

    response = examiner_client.get(f"/exams/{exam.pk}/", {"show": "no_uploads_left"})

    assert [s.nickname for s in response.context["students"]] == ["spent", "used_extra"]
    assert exam.roster_counts()["no_uploads_left"] == 2
    assert spent.uploads_left() == 0


def test_the_upload_page_and_the_api_count_extra_uploads(client, examiner):
    student = StudentFactory(exam=ExamFactory(owner=examiner), extra_uploads=2)

    page = client.get(reverse("submissions:upload", args=[student.upload_code]))

    assert 'data-testid="uploads-left">7</span> of 7' in page.content.decode()
    status = client.get(f"/api/v1/uploads/{student.upload_code}").json()
    assert (status["uploads_left"], status["max_uploads"]) == (7, 7)

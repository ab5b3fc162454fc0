"""Removing a student who dropped the course: a confirmation page that says what goes,
then their stored files are deleted from storage, then their rows."""

import pytest
from django.urls import reverse

from conftest import s3_keys
from students.models import Student
from students.tests.factories import StudentFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


def remove_url(student):
    return reverse("students:student_remove", args=[student.exam_id, student.pk])


def test_the_confirmation_says_what_goes_and_removes_nothing(examiner_client, client, student):
    post_upload(client, student)
    post_upload(client, student, content=b"%PDF-1.7 second try")
    StudentFactory(exam=student.exam)

    response = examiner_client.get(remove_url(student))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Their 2 uploads, with their verification codes" in page
    assert "1 stored file is deleted from storage first." in page  # the first was replaced
    assert "The roster then counts 1 student." in page
    assert f'action="{remove_url(student)}"' in page
    assert Student.objects.filter(pk=student.pk).exists()


def test_a_student_without_uploads_is_said_to_have_none(examiner_client, student):
    page = examiner_client.get(remove_url(student)).content.decode()

    assert "They have uploaded nothing" in page
    assert "0 stored files are deleted" in page


def test_it_deletes_the_files_from_storage_then_the_rows(examiner_client, client, student, s3):
    other = StudentFactory(exam=student.exam)
    post_upload(client, student)
    post_upload(client, other)
    kept = Submission.objects.get(student=other).file.name

    response = examiner_client.post(remove_url(student))

    assert response.status_code == 302
    assert response["Location"] == student.exam.get_absolute_url()
    assert s3_keys(s3) == [kept]
    assert not Student.objects.filter(pk=student.pk).exists()
    assert not Submission.objects.filter(student_id=student.pk).exists()
    assert not Event.objects.filter(student_id=student.pk).exists()
    assert student.exam.roster_counts()["total"] == 1
    assert student.exam.roster_counts()["submitted"] == 1


def test_when_storage_fails_the_student_stays(examiner_client, client, student, s3, settings):
    """A real fault: the storage's address answers nothing (a closed port)."""
    post_upload(client, student)
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "endpoint_url": CLOSED}},
    }

    response = examiner_client.post(remove_url(student), follow=True)

    assert "could not be reached" in response.content.decode()
    assert Student.objects.filter(pk=student.pk).exists()
    assert Submission.objects.get(student=student).has_file()


def test_the_exam_page_links_to_the_confirmation_not_a_post(examiner_client, student):
    page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert f'href="{remove_url(student)}"' in page
    assert f'action="{remove_url(student)}"' not in page

"""Deleting an exam: the owner types its title; files go from storage first, then rows."""

import pytest
from django.urls import reverse

from conftest import s3_keys
from depository import storage
from students.models import Exam, Student
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory, UserFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def delete_url(exam):
    return reverse("students:exam_delete", args=[exam.pk])


def test_the_confirmation_counts_what_goes(examiner_client, client, exam):
    first, _ = StudentFactory.create_batch(2, exam=exam)
    post_upload(client, first)

    page = examiner_client.get(delete_url(exam)).content.decode()

    assert "The exam and its 2 students are deleted for good" in page
    assert "1 upload is deleted with them" in page
    assert "1 stored file is deleted from storage first." in page
    assert Exam.objects.filter(pk=exam.pk).exists()


def test_it_deletes_the_files_then_the_exam(examiner_client, client, exam, s3):
    other = StudentFactory(exam=ExamFactory(owner=exam.owner))
    post_upload(client, StudentFactory(exam=exam))
    post_upload(client, other)
    kept = Submission.objects.get(student=other).file.name

    response = examiner_client.post(delete_url(exam), {"title": exam.title})

    assert response.status_code == 302
    assert response["Location"] == reverse("students:exam_list")
    assert not Exam.objects.filter(pk=exam.pk).exists()
    assert not Student.objects.filter(exam_id=exam.pk).exists()
    assert s3_keys(s3) == [kept]


@pytest.mark.parametrize("typed", ["", "Algebra", "algebra final", "Algebra final!"])
def test_anything_but_the_title_deletes_nothing(examiner_client, examiner, typed):
    exam = ExamFactory(owner=examiner, title="Algebra final")

    response = examiner_client.post(delete_url(exam), {"title": typed})

    assert response.status_code == 422
    assert Exam.objects.filter(pk=exam.pk).exists()


def test_the_title_with_surrounding_spaces_is_the_title(examiner_client, exam):
    response = examiner_client.post(delete_url(exam), {"title": f"  {exam.title} "})

    assert response.status_code == 302
    assert not Exam.objects.filter(pk=exam.pk).exists()


@pytest.mark.parametrize(
    ("title", "typed"),
    [
        ("Algebra – final", "Algebra - final"),  # an en dash, typed as a hyphen
        ("Algebra - final", "Algebra — final"),  # an em dash for a hyphen
        ("Algebra-final", "Algebra\u2011final"),  # a non-breaking hyphen
        ("Algebra − 2", "Algebra - 2"),  # a minus sign
        ("Algebra final", "Algebra\u00a0 final"),  # a non-breaking space, and two
    ],
)
def test_any_dash_or_spacing_of_the_title_is_the_title(examiner_client, examiner, title, typed):
    exam = ExamFactory(owner=examiner, title=title)

    response = examiner_client.post(delete_url(exam), {"title": typed})

    assert response.status_code == 302
    assert not Exam.objects.filter(pk=exam.pk).exists()


def test_a_dash_is_not_a_space(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, title="Algebra-final")

    assert examiner_client.post(delete_url(exam), {"title": "Algebra final"}).status_code == 422


def test_a_co_examiner_cannot_delete_it(client, exam):
    co_examiner = UserFactory()
    exam.co_examiners.add(co_examiner)
    client.force_login(co_examiner)

    assert client.get(delete_url(exam)).status_code == 404
    assert client.post(delete_url(exam), {"title": exam.title}).status_code == 404
    assert Exam.objects.filter(pk=exam.pk).exists()


@pytest.mark.parametrize("files", [2, 3, 5])
def test_files_go_in_batches_of_the_most_one_request_takes(
    examiner_client, exam, s3, monkeypatch, files
):
    """Exactly one batch, one over, and more than the two passes take in a batch each (the
    batch made small; S3's is 1,000)."""
    monkeypatch.setattr(storage, "DELETE_BATCH", 2)
    for student in StudentFactory.create_batch(files, exam=exam):
        SubmissionFactory(student=student, stored=True)
    assert len(s3_keys(s3)) == files

    response = examiner_client.post(delete_url(exam), {"title": exam.title})

    assert response.status_code == 302
    assert s3_keys(s3) == []

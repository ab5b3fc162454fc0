"""View as student: an examiner sees a student's page as the student does, read only, with
nothing logged as the student."""

import pytest
from django.urls import reverse

from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def preview_url(exam, student=None):
    args = [exam.pk, student.pk] if student else [exam.pk]
    return reverse("submissions:preview", args=args)


def test_the_exam_page_shows_what_students_see_and_offers_the_preview(examiner_client, exam):
    exam.instructions = "Scan every page."
    exam.contact = "office@example.edu"
    exam.statement = "It is my own work."
    exam.save()

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    for shown in ("Scan every page.", "office@example.edu", "It is my own work."):
        assert shown in page
    assert f'href="{preview_url(exam)}"' in page


def test_the_preview_is_the_students_page_that_cannot_upload(examiner_client, exam):
    exam.statement = "It is my own work."
    exam.save()

    response = examiner_client.get(preview_url(exam))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Upload your answer, Sam" in page
    assert "It is my own work." in page
    assert '<fieldset disabled class="plain">' in page
    assert 'action="#"' in page
    assert "js/upload.js" not in page


def test_a_students_preview_shows_their_file_and_logs_nothing(examiner_client, client, exam):
    student = StudentFactory(exam=exam, first_name="Grace")
    post_upload(client, student)
    events = Event.objects.count()
    client.force_login(exam.owner)

    response = client.get(preview_url(exam, student))

    page = response.content.decode()
    submission = Submission.objects.get(student=student)
    assert "Upload your answer, Grace" in page
    assert submission.display_code in page
    assert (
        reverse("submissions:own_file", args=[student.upload_code, submission.verification_code])
        not in page
    )
    assert Event.objects.count() == events


def test_a_post_to_the_preview_is_refused(examiner_client, exam, student):
    response = examiner_client.post(preview_url(exam, student), {"file": "x"})

    assert response.status_code == 405
    assert not Submission.objects.exists()


def test_the_preview_is_404_for_another_examiner_and_asks_a_stranger_to_log_in(
    examiner_client, client
):
    other = ExamFactory()
    student = StudentFactory(exam=other)

    assert examiner_client.get(preview_url(other)).status_code == 404
    assert examiner_client.get(preview_url(other, student)).status_code == 404
    client.logout()
    assert client.get(preview_url(other)).status_code == 302


def test_a_co_examiner_previews_a_shared_exam_and_a_former_one_gets_404(client, exam, student):
    colleague = UserFactory()
    exam.co_examiners.add(colleague)
    client.force_login(colleague)

    assert client.get(preview_url(exam, student)).status_code == 200

    exam.co_examiners.remove(colleague)
    assert client.get(preview_url(exam, student)).status_code == 404
    assert client.get(preview_url(exam)).status_code == 404


def test_a_student_of_another_exam_is_404_in_my_exams_preview(examiner_client, exam):
    stranger = StudentFactory(exam=ExamFactory())

    assert examiner_client.get(preview_url(exam, stranger)).status_code == 404

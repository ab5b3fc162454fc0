"""The receipt, on the page and by mail, in the language the student uploaded in."""

import pytest

from students.models import Mail
from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """The upload, with its receipt written as the worker writes it as it takes it."""
    from students.mail import render_mail

    def upload(client, student):
        with django_capture_on_commit_callbacks(execute=False):
            response = post_upload(client, student)
        # What the worker does, in a process with no request (so in English).
        receipt_mail = Mail.objects.get(kind="receipt", student=student)
        render_mail(receipt_mail)
        receipt_mail.save()
        return response

    return upload


def test_the_receipt_mail_is_in_the_language_of_the_upload(client, exam, queued):
    exam.language = "en"
    exam.save()
    student = StudentFactory(exam=exam, language="en")

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = queued(client, student)

    submission = student.submissions.get()
    receipt_mail = Mail.objects.get(kind="receipt")
    assert submission.language == "de"
    assert receipt_mail.language == "de"
    assert receipt_mail.subject.startswith("Eingangsbestätigung für Ihren Upload")
    assert f"Prüfcode: {submission.display_code}" in receipt_mail.text
    assert submission.sha256 in receipt_mail.text
    page = client.get(response["Location"]).content.decode()
    assert "Ihre Datei ist bei uns angekommen" in page


def test_an_upload_in_english_gets_an_english_receipt_in_a_german_exam(client, exam, queued):
    exam.language = "de"
    exam.save()
    student = StudentFactory(exam=exam)

    queued(client, student)

    assert Mail.objects.get(kind="receipt").subject.startswith("Receipt for your upload")


def test_a_refusal_is_in_the_students_language(client, exam):
    exam.max_upload_bytes = 1024
    exam.save()
    student = StudentFactory(exam=exam)

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = post_upload(client, student, content=b"%PDF-" + b"x" * 2000)

    page = response.content.decode()
    assert response.status_code in {400, 413}
    assert "Diese Datei ist" in page
    assert "erlaubt sind 1,0\xa0KB" in page

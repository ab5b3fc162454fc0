"""The receipt mail: after the upload commits, once per upload, never for a refused one."""

from unittest import mock

import pytest
from django.db import DatabaseError
from django_tasks_db.models import DBTaskResult

from students.models import Mail
from students.tests.factories import StudentFactory
from students.tests.smtp import body, free_port, run_worker
from students.times import format_time
from submissions.models import Submission
from submissions.tests.helpers import post_upload, sha256

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = b"%PDF-1.7 the answers of a careful student"


def test_the_receipt_mail_carries_the_receipts_facts(client, smtp, exam):
    exam.time_zone = "Europe/Berlin"
    exam.save()
    student = StudentFactory(exam=exam)

    assert post_upload(client, student, CONTENT).status_code == 302
    run_worker()

    submission = student.submissions.get()
    [received] = smtp.to(student.email)
    text = body(received)
    assert submission.display_code in received["Subject"]
    assert exam.title in text
    assert "answer.pdf" in text
    assert f"({len(CONTENT)} bytes)" in text
    assert sha256(CONTENT) in text
    # Accepted and kept-until, in the exam's zone, as the pages write them.
    zone = exam.zone
    accepted = Submission.objects.with_expiry().get(pk=submission.pk)
    assert format_time(accepted.accepted_at, "long", zone) in text
    assert format_time(accepted.expires_at, "long", zone) in text
    assert "On time" in text
    assert f"Verification code: {submission.display_code}" in text
    assert "File kept until:" in text
    assert submission.display_code in body(received, "html")
    assert received["Auto-Submitted"] == "auto-generated"
    mail = Mail.objects.get(kind="receipt")
    assert (mail.state, mail.student_id) == ("sent", student.pk)


def test_a_repeated_post_of_the_same_form_sends_no_second_receipt(client, smtp, student):
    post_upload(client, student, CONTENT, token="the-same-form-token-0123456789")
    post_upload(client, student, CONTENT, token="the-same-form-token-0123456789")
    run_worker()

    assert len(smtp.to(student.email)) == 1
    assert student.submissions.count() == 1


def test_each_new_upload_gets_its_own_receipt(client, smtp, student):
    post_upload(client, student, b"%PDF-1.7 first")
    post_upload(client, student, b"%PDF-1.7 second")
    run_worker()

    assert len(smtp.to(student.email)) == 2


def test_a_refused_upload_sends_nothing(client, smtp, student):
    response = post_upload(client, student, b"x" * (student.exam.max_upload_bytes + 1))
    assert response.status_code == 413

    run_worker()

    assert smtp.messages == []
    assert not DBTaskResult.objects.exists()


def test_a_student_without_an_address_gets_no_receipt_and_no_task(client, smtp, exam):
    student = StudentFactory(exam=exam, email="")

    assert post_upload(client, student).status_code == 302

    assert not DBTaskResult.objects.exists()


def test_the_upload_stands_when_the_mail_server_is_down(client, settings, smtp, student):
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_RETRY_DELAYS = [3600, 3600]

    response = post_upload(client, student)
    run_worker()

    assert response.status_code == 302
    assert student.submissions.count() == 1
    mail = Mail.objects.get(kind="receipt")
    assert (mail.state, mail.attempts) == ("queued", 1)


def test_the_upload_stands_when_the_receipt_cannot_be_queued(client, smtp, student):
    # Fault: the database refuses the task's row right after the upload's commit (a
    # connection lost at that moment); not something a test can time for real.
    with mock.patch("submissions.tasks.send_receipt") as task:
        task.enqueue.side_effect = DatabaseError("connection lost")
        response = post_upload(client, student)

    assert task.enqueue.called
    assert response.status_code == 302
    assert student.submissions.count() == 1


def test_the_receipt_task_run_twice_sends_once(client, smtp, student):
    from submissions.tasks import send_receipt

    post_upload(client, student)
    submission = student.submissions.get()
    send_receipt.enqueue(submission.pk)
    run_worker()

    assert len(smtp.to(student.email)) == 1


def test_the_receipt_mail_attaches_the_signed_receipt(client, smtp, student):
    from submissions import receipts

    assert post_upload(client, student, CONTENT).status_code == 302
    run_worker()

    submission = student.submissions.get()
    [received] = smtp.to(student.email)
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == f"receipt-{submission.display_code}.json"
    assert attachment.get_content_type() == "application/json"
    content = attachment.get_content()
    content = content.decode() if isinstance(content, bytes) else content
    result = receipts.check(content)
    assert result.valid, result.problems
    assert result.facts["sha256"] == sha256(CONTENT)
    assert f"Attached: your signed receipt, receipt-{submission.display_code}.json" in body(
        received
    )
    assert "/verify/checker/" in body(received)


def test_the_german_receipt_mail_speaks_of_its_attachment_in_german(client, smtp, exam):
    exam.language = "de"
    exam.save()
    student = StudentFactory(exam=exam)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"

    assert post_upload(client, student, CONTENT).status_code == 302
    run_worker()

    [received] = smtp.to(student.email)
    assert "Im Anhang: Ihre signierte Eingangsbestätigung" in body(received)
    assert len(list(received.iter_attachments())) == 1

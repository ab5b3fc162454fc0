"""Sending the outbox through a real SMTP server on loopback, with the real worker."""

import pytest

from students import mail as student_mail
from students.models import Mailing
from students.tests.factories import StudentFactory
from students.tests.smtp import body, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def queue_links(exam, students=None):
    subject, message = student_mail.words(exam, Mailing.Kind.LINK)
    students = exam.students.all() if students is None else students
    return student_mail.queue_mailing(exam, Mailing.Kind.LINK, subject, message, students)


def test_the_worker_sends_one_mail_to_each_student(smtp, exam):
    students = StudentFactory.create_batch(3, exam=exam)

    mailing = queue_links(exam)
    run_worker()

    assert sorted(m["to"][0] for m in smtp.messages) == sorted(s.email for s in students)
    assert all(len(m["to"]) == 1 for m in smtp.messages)
    assert mailing.mails.progress() == {"total": 3, "sent": 3, "failed": 0, "waiting": 0}
    mail = smtp.messages[0]["message"]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Cc"] is None and mail["Bcc"] is None
    assert mail.get_content_type() == "multipart/alternative"
    student = next(s for s in students if s.email == smtp.messages[0]["to"][0])
    assert f"https://depository.test{student.get_upload_url()}" in body(mail)
    assert f'href="https://depository.test{student.get_upload_url()}"' in body(mail, "html")

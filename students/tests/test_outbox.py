"""Sending the outbox through a real SMTP server on loopback, with the real worker."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from students import mail as student_mail
from students import outbox
from students.models import Mail, Mailing, new_message_id
from students.tests.factories import StudentFactory
from students.tests.smtp import body, free_port, run_worker

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


def test_names_and_titles_cannot_add_headers_or_recipients(smtp, exam):
    """A name or title written straight into the database (no form cleans it) still cannot
    break out of the subject or add a recipient."""
    exam.title = "Algebra\r\nBcc: victim@example.org"
    exam.save()
    StudentFactory(
        exam=exam, first_name="Eve\r\nBcc: victim@example.org\r\n", email="eve@example.edu"
    )
    subject, message = "Hi {name}: {exam}", "Dear {name}"

    student_mail.queue_mailing(exam, Mailing.Kind.LINK, subject, message, exam.students.all())
    run_worker()

    [received] = smtp.messages
    assert received["to"] == ["eve@example.edu"]
    assert received["message"]["Bcc"] is None
    assert received["message"]["Subject"].startswith("Hi Eve Bcc: victim@example.org Lovelace")
    assert received["message"]["Subject"].endswith(": Algebra Bcc: victim@example.org")


def test_an_address_with_a_line_break_fails_and_sends_nothing(smtp, exam):
    student = StudentFactory(exam=exam)
    queue_links(exam)  # the form and the import refuse such an address; a row may still hold one
    Mail.objects.update(to=f"{student.email}\r\nBcc: victim@example.org")

    run_worker()

    assert smtp.messages == []
    mail = Mail.objects.get()
    assert mail.state == "failed"
    assert mail.attempts == 1


def test_a_temporary_refusal_is_tried_again_and_sent(smtp, exam):
    StudentFactory(exam=exam)
    smtp.data_replies = ["451 4.7.1 Greylisted, try again", "452 4.3.1 Mailbox busy"]

    queue_links(exam)
    run_worker()

    mail = Mail.objects.get()
    assert (mail.state, mail.attempts) == ("sent", 3)  # the third and last try got through
    assert len(smtp.messages) == 1


def test_three_temporary_refusals_fail_with_the_servers_reason(smtp, exam):
    StudentFactory(exam=exam)
    smtp.data_replies = ["451 4.7.1 Greylisted"] * 2 + ["452 4.3.1 Mailbox full"]

    queue_links(exam)
    run_worker()

    mail = Mail.objects.get()
    assert (mail.state, mail.attempts) == ("failed", 3)
    assert mail.error == "452 4.3.1 Mailbox full"
    assert smtp.messages == []


def test_a_permanent_refusal_fails_at_once(smtp, exam):
    student = StudentFactory(exam=exam)
    smtp.refuse_rcpt[student.email] = "550 5.1.1 No such user here"

    queue_links(exam)
    run_worker()

    mail = Mail.objects.get()
    assert (mail.state, mail.attempts) == ("failed", 1)
    assert mail.error == "550 5.1.1 No such user here"


def test_a_server_that_is_down_loses_nothing(settings, smtp, exam):
    StudentFactory(exam=exam)
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_RETRY_DELAYS = [3600, 3600]

    queue_links(exam)
    run_worker()

    mail = Mail.objects.get()
    assert (mail.state, mail.attempts) == ("queued", 1)
    assert "Connection refused" in mail.error or "ConnectionRefusedError" in mail.error
    assert mail.next_attempt_at > timezone.now()
    # A later task, at the next try's time, is waiting; once the server is back it goes.
    assert DBTaskResult.objects.filter(status="READY", run_after__gt=timezone.now()).exists()
    settings.EMAIL_PORT = good_port
    Mail.objects.update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    assert Mail.objects.get().state == "sent"
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(("limit", "sent_now"), [(3, 3), (2, 2)])
def test_the_rate_limit_holds_back_what_is_over_it(settings, smtp, exam, limit, sent_now):
    settings.EMAIL_RATE_PER_MINUTE = limit
    StudentFactory.create_batch(3, exam=exam)

    queue_links(exam)
    run_worker()

    assert len(smtp.messages) == sent_now
    progress = Mail.objects.progress()
    assert progress["sent"] == sent_now
    if sent_now < 3:
        # The rest waits for a task that starts once the oldest send is a minute old.
        later = DBTaskResult.objects.get(status="READY").run_after
        assert timedelta(seconds=50) < later - timezone.now() < timedelta(seconds=61)


def test_the_rate_limit_counts_every_worker(settings, smtp, exam):
    """Sends recorded by another worker a moment ago count against this one's minute."""
    settings.EMAIL_RATE_PER_MINUTE = 2
    StudentFactory.create_batch(3, exam=exam)
    queue_links(exam)
    Mail.objects.filter(pk=Mail.objects.first().pk).update(
        state="sent", last_attempt_at=timezone.now()
    )

    run_worker()

    assert len(smtp.messages) == 1


def test_a_mail_taken_by_a_worker_that_died_goes_again_after_its_lease(smtp, exam):
    StudentFactory(exam=exam)
    queue_links(exam)
    Mail.objects.update(
        state="sending", attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )

    run_worker()  # the worker's clock finds it at start

    mail = Mail.objects.get()
    assert (mail.state, mail.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_a_mail_still_leased_is_not_taken(smtp, exam):
    StudentFactory(exam=exam)
    queue_links(exam)
    Mail.objects.update(
        state="sending", attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )

    run_worker()

    assert smtp.messages == []
    assert Mail.objects.get().state == "sending"


def test_the_message_id_stays_the_same_across_tries(smtp, exam):
    StudentFactory(exam=exam)
    smtp.data_replies = ["451 4.7.1 Greylisted"]
    queue_links(exam)

    run_worker()

    [refused], [accepted] = smtp.refused, smtp.messages
    assert refused["Message-ID"] == accepted["message"]["Message-ID"]
    assert accepted["message"]["Message-ID"] == Mail.objects.get().message_id
    assert Mail.objects.get().attempts == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_workers_that_read_the_same_mail_at_once_take_it_once(exam, monkeypatch):
    """The claim's own condition stops the second worker, even without the lock that
    serialises claims (taken away here: the fault of a lock that does not hold)."""
    StudentFactory(exam=exam)
    queue_links(exam)
    both_read = threading.Barrier(2, timeout=10)

    def message_id_once_both_have_read():
        both_read.wait()  # each worker has selected the same due mail by now
        return new_message_id()

    monkeypatch.setattr(outbox, "_lock", lambda: None)
    monkeypatch.setattr(outbox, "new_message_id", message_id_once_both_have_read)

    def worker(_):
        try:
            return outbox.claim()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        taken = list(pool.map(worker, range(2)))

    assert sorted(mail is None for mail in taken) == [False, True]
    assert Mail.objects.get().attempts == 1

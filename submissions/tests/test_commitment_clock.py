"""What the worker's clock does with commitments (two-step uploads) whose file has not come:
it reminds the student once, shortly before the delivery window ends, and once the window
has ended it expires the commitment and deletes whatever of its bytes arrived."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from conftest import s3_keys
from students import clock
from students.models import Mail
from students.tests.factories import ExamFactory, StudentFactory
from students.tests.smtp import body, run_worker
from students.times import format_time
from submissions import mail as submission_mail
from submissions import uploads
from submissions.models import Commitment
from submissions.tests.helpers import commit_file, deliver_and_complete, put_bytes, sha256

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 the answers " + b"x" * 2027  # 2,048 bytes


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        clock.tick()


def reminders():
    return Mail.objects.filter(kind=Mail.Kind.DELIVERY_REMINDER)


# --- Expiry ---------------------------------------------------------------------------


def test_the_clock_expires_a_commitment_at_the_end_of_its_window_and_deletes_its_bytes(student, s3):
    """Bytes that arrived without a completion (the page closed before it) never count."""
    commitment = commit_file(student, PDF)
    assert put_bytes(*uploads.delivery(commitment, None), PDF) == 200

    tick_at(commitment.deliver_by - timedelta(seconds=1))
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.OPEN
    assert s3_keys(s3) == [commitment.key]

    tick_at(commitment.deliver_by)
    commitment.refresh_from_db()
    assert (commitment.state, commitment.closed_at) == (
        Commitment.State.EXPIRED,
        commitment.deliver_by,
    )
    assert s3_keys(s3) == []


def test_expiring_again_changes_nothing(student):
    commitment = commit_file(student)
    tick_at(commitment.deliver_by)

    tick_at(commitment.deliver_by + timedelta(minutes=1))
    expired_again = Commitment.objects.expire_overdue(commitment.deliver_by + timedelta(hours=1))

    commitment.refresh_from_db()
    assert (commitment.state, commitment.closed_at) == ("expired", commitment.deliver_by)
    assert expired_again == 0


def test_a_delivered_commitment_is_never_expired(student):
    commitment = commit_file(student, PDF)
    deliver_and_complete(student, commitment, PDF)

    tick_at(commitment.deliver_by + timedelta(minutes=1))

    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.DELIVERED
    assert student.submissions.get().has_file()


# --- The reminder ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "before"),
    [
        (30, timedelta(minutes=10)),  # ten minutes before the end
        (20, timedelta(minutes=10)),
        (12, timedelta(minutes=6)),  # a short window: halfway through it
    ],
)
def test_the_reminder_goes_when_the_window_is_about_to_end(exam, window, before):
    exam.delivery_minutes = window
    exam.save()
    student = StudentFactory(exam=exam)
    commitment = commit_file(student)

    tick_at(commitment.deliver_by - before - timedelta(seconds=1))
    assert not reminders().exists()
    tick_at(commitment.deliver_by - before)

    [reminder] = reminders()
    assert (reminder.student_id, reminder.to) == (student.pk, student.email)
    commitment.refresh_from_db()
    assert commitment.reminded_at == commitment.deliver_by - before


def test_the_reminder_goes_once(student):
    commitment = commit_file(student)
    for minutes in (10, 9, 5, 1):
        tick_at(commitment.deliver_by - timedelta(minutes=minutes))

    assert reminders().count() == 1


def test_the_reminder_wakes_the_worker(student, django_capture_on_commit_callbacks):
    commitment = commit_file(student)

    with django_capture_on_commit_callbacks(execute=True):
        tick_at(commitment.deliver_by - timedelta(minutes=5))

    assert DBTaskResult.objects.filter(task_path__endswith="deliver_mail").exists()


def test_no_reminder_without_an_address(exam):
    commitment = commit_file(StudentFactory(exam=exam, email=""))

    tick_at(commitment.deliver_by - timedelta(minutes=5))

    assert not reminders().exists()
    commitment.refresh_from_db()
    assert commitment.reminded_at is None


def test_no_reminder_once_the_file_came(student):
    commitment = commit_file(student)
    deliver_and_complete(student, commitment)

    tick_at(commitment.deliver_by - timedelta(minutes=5))

    assert not reminders().exists()


def test_no_reminder_after_the_window_ended(student):
    """A clock that was down through the reminder's minute does not send it late."""
    commitment = commit_file(student)

    tick_at(commitment.deliver_by + timedelta(seconds=1))

    assert not reminders().exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_clocks_at_once_remind_once(exam):
    student = StudentFactory(exam=exam)
    commitment = commit_file(student)
    moment = commitment.deliver_by - timedelta(minutes=5)
    barrier = threading.Barrier(4)
    queued = []

    def clock_job():
        try:
            barrier.wait(timeout=10)
            queued.append(submission_mail.queue_delivery_reminders(moment))
        finally:
            connection.close()

    threads = [threading.Thread(target=clock_job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(queued) == [0, 0, 0, 1]
    assert reminders().count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_reminder_in_the_students_language(smtp):
    """Which file, until when (in the exam's zone, with its name), and the link back."""
    student = StudentFactory(exam=ExamFactory(time_zone="Europe/Berlin", title="Analysis"))
    with translation.override("de"):  # the language of the page the file was chosen on
        commitment = commit_file(student, PDF, name="loesung.pdf")
    Commitment.objects.filter(pk=commitment.pk).update(
        committed_at=timezone.now() - timedelta(minutes=25),
        deliver_by=timezone.now() + timedelta(minutes=5),
    )
    commitment.refresh_from_db()

    clock.tick()  # the worker's clock, now: within the last ten minutes of the window
    run_worker()

    [received] = smtp.to(student.email)
    text = body(received)
    with translation.override("de"):
        until = format_time(commitment.deliver_by, "long", student.exam.zone)
    assert until.endswith((" MEZ", " MESZ"))
    assert until in received["Subject"] and until in text
    assert "Analysis" in received["Subject"]
    assert "loesung.pdf" in text
    assert "2,0\xa0KB" in text and "2.048 Bytes" in text
    assert sha256(PDF)[:16] in text and sha256(PDF) not in text
    assert f"https://depository.test/u/{student.upload_code}/" in text
    assert "noch nicht angekommen" in text
    assert "loesung.pdf" in body(received, "html")
    assert Mail.objects.get(kind=Mail.Kind.DELIVERY_REMINDER).state == Mail.State.SENT


@pytest.mark.django_db(transaction=True)
def test_a_reminder_whose_file_came_before_it_went_is_not_sent(smtp, student):
    commitment = commit_file(student)
    Commitment.objects.filter(pk=commitment.pk).update(
        committed_at=timezone.now() - timedelta(minutes=25),
        deliver_by=timezone.now() + timedelta(minutes=5),
    )
    clock.tick()  # queues the reminder and wakes the worker
    deliver_and_complete(student, commitment)  # the file comes before the worker runs

    run_worker()

    assert [m for m in smtp.messages if "Receipt" not in m["message"]["Subject"]] == []
    reminder = reminders().get()
    assert reminder.state == Mail.State.FAILED
    assert reminder.error.startswith("Not sent: the file's commitment is delivered")

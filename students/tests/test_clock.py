"""What the worker's clock sends by itself: automatic reminders and the deadline notice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from students import clock
from students.models import ExamMail, Mail, Mailing
from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

DEADLINE = timezone.now().replace(microsecond=0) + timedelta(days=3)


@pytest.fixture
def exam(exam):
    exam.closes_at = DEADLINE
    exam.save()
    exam.owner.email = "examiner@example.edu"
    exam.owner.save()
    return exam


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        clock.tick()


def test_there_is_no_automatic_reminder_unless_asked_for(exam):
    StudentFactory(exam=exam)

    tick_at(DEADLINE - timedelta(minutes=5))

    assert not Mailing.objects.exists()


@pytest.mark.parametrize(
    ("before", "reminded"),
    [(timedelta(hours=24, minutes=1), False), (timedelta(hours=24), True)],
)
def test_the_reminder_goes_n_hours_before_the_deadline(exam, before, reminded):
    StudentFactory(exam=exam)
    ExamMail.objects.create(exam=exam, reminder_hours=24)

    tick_at(DEADLINE - before)

    assert Mailing.objects.filter(kind="reminder").exists() is reminded


def test_the_reminder_goes_once_and_only_to_those_not_submitted(client, exam):
    done, waiting = StudentFactory.create_batch(2, exam=exam)
    post_upload(client, done)
    ExamMail.objects.create(exam=exam, reminder_hours=24)

    tick_at(DEADLINE - timedelta(hours=2))
    tick_at(DEADLINE - timedelta(hours=1))

    mailing = Mailing.objects.get()
    assert list(mailing.mails.values_list("student", flat=True)) == [waiting.pk]


def test_a_moved_deadline_gets_its_own_reminder(exam):
    StudentFactory(exam=exam)
    ExamMail.objects.create(exam=exam, reminder_hours=24)
    tick_at(DEADLINE - timedelta(hours=1))

    exam.closes_at = DEADLINE + timedelta(days=2)
    exam.save()
    tick_at(exam.closes_at - timedelta(hours=1))

    assert Mailing.objects.count() == 2


@pytest.mark.parametrize(
    ("before", "reminded"),
    [(timedelta(hours=24, seconds=1), False), (timedelta(hours=24), True)],
)
def test_a_student_with_an_extension_is_reminded_before_their_own_deadline(exam, before, reminded):
    own = DEADLINE + timedelta(days=2)
    everyone = StudentFactory(exam=exam)
    extended = StudentFactory(exam=exam, extended_until=own)
    ExamMail.objects.create(exam=exam, reminder_hours=24)

    tick_at(DEADLINE - timedelta(hours=1))  # the exam's reminder: not theirs
    tick_at(own - before)

    recipients = [
        list(mailing.mails.values_list("student", flat=True))
        for mailing in Mailing.objects.order_by("created_at", "pk")
    ]
    assert recipients == ([[everyone.pk], [extended.pk]] if reminded else [[everyone.pk]])


def test_an_extension_after_the_exams_close_still_gets_its_reminder(exam):
    exam.cutoff_at = None
    exam.save()
    own = DEADLINE + timedelta(days=2)
    extended = StudentFactory(exam=exam, extended_until=own)
    ExamMail.objects.create(exam=exam, reminder_hours=24)

    tick_at(own - timedelta(hours=1))  # the exam itself closed two days ago

    [mail] = Mail.objects.filter(kind="reminder")
    assert mail.student_id == extended.pk


def test_no_reminder_for_an_exam_closed_by_hand(exam):
    StudentFactory(exam=exam)
    ExamMail.objects.create(exam=exam, reminder_hours=24)
    exam.set_manual_state("closed")

    tick_at(DEADLINE - timedelta(hours=1))

    assert not Mailing.objects.exists()


@pytest.mark.parametrize(
    ("after", "noticed"), [(-timedelta(seconds=1), False), (timedelta(0), True)]
)
def test_the_deadline_notice_goes_when_the_deadline_passes(exam, after, noticed):
    StudentFactory(exam=exam)
    ExamMail.objects.create(exam=exam, notify_deadline=True)

    tick_at(DEADLINE + after)

    assert Mail.objects.filter(kind="deadline_passed").exists() is noticed


def test_the_deadline_notice_says_who_is_missing_once(client, exam):
    done = StudentFactory(exam=exam)
    missing = StudentFactory(exam=exam, first_name="Missing", last_name="Person")
    post_upload(client, done)
    ExamMail.objects.create(exam=exam, notify_deadline=True)

    tick_at(DEADLINE + timedelta(minutes=1))
    tick_at(DEADLINE + timedelta(minutes=2))

    mail = Mail.objects.get(kind="deadline_passed")
    assert mail.to == "examiner@example.edu"
    assert "1 of 2 submitted" in mail.subject
    assert f"- Missing Person ({missing.nickname})" in mail.text
    assert done.full_name not in mail.text
    assert f"/exams/{exam.pk}/files.zip" in mail.text


def test_no_notice_is_off_by_default_or_without_an_address(exam):
    StudentFactory(exam=exam)
    tick_at(DEADLINE + timedelta(minutes=1))
    ExamMail.objects.create(exam=exam, notify_deadline=True)
    exam.owner.email = ""
    exam.owner.save()

    tick_at(DEADLINE + timedelta(minutes=2))

    assert not Mail.objects.exists()

"""The examiner's notice the day before files are deleted."""

from datetime import timedelta

import pytest
import time_machine

from students import clock
from students.models import ExamMail, Mail
from students.tests.factories import StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploaded(client, exam):
    exam.owner.email = "examiner@example.edu"
    exam.owner.save()
    ExamMail.objects.create(exam=exam, notify_deletion=True)
    student = StudentFactory(exam=exam)
    post_upload(client, student)
    return Submission.objects.with_expiry().get(student=student)


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        clock.tick()


@pytest.mark.parametrize(
    ("before", "noticed"),
    [(timedelta(days=1, seconds=1), False), (timedelta(days=1), True)],
)
def test_the_notice_goes_a_day_before_the_first_file_is_deleted(uploaded, before, noticed):
    tick_at(uploaded.expires_at - before)

    assert Mail.objects.filter(kind="deletion_soon").exists() is noticed


def test_the_notice_goes_once_and_names_the_download(uploaded):
    tick_at(uploaded.expires_at - timedelta(hours=20))
    tick_at(uploaded.expires_at - timedelta(hours=10))

    mail = Mail.objects.get(kind="deletion_soon")
    assert "1 file of" in mail.text
    assert "/files.zip" in mail.text


def test_no_notice_unless_asked_for(uploaded):
    ExamMail.objects.update(notify_deletion=False)

    tick_at(uploaded.expires_at - timedelta(hours=1))

    assert not Mail.objects.filter(kind="deletion_soon").exists()


def test_no_notice_once_the_files_are_gone(uploaded):
    tick_at(uploaded.expires_at + timedelta(minutes=1))

    assert not Mail.objects.filter(kind="deletion_soon").exists()

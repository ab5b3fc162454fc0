"""When a file is deleted: retention counts from when the examiner can collect it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

UPLOADED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def upload(client, student, at=UPLOADED):
    with time_machine.travel(at, tick=False):
        assert post_upload(client, student).status_code == 302
    return Submission.objects.filter(student=student).current().get()


def expiry(submission):
    return Submission.objects.with_expiry().get(pk=submission.pk).expires_at


def purged_at(at, submission):
    """Runs purge_expired at `at`; True when it deleted the submission's file."""
    with time_machine.travel(at, tick=False):
        call_command("purge_expired", verbosity=0)
    submission.refresh_from_db()
    return submission.file_deleted_at is not None


def test_an_early_upload_is_kept_until_the_due_time_plus_retention(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=3))
    submission = upload(client, student)

    assert expiry(submission) == DUE + 3 * DAY
    assert not purged_at(UPLOADED + 3 * DAY + MINUTE, submission)  # the old rule's deletion
    assert not purged_at(DUE + 3 * DAY - MINUTE, submission)
    assert purged_at(DUE + 3 * DAY, submission)


def test_a_cut_off_is_when_collection_becomes_possible(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + 2 * DAY, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))

    assert expiry(submission) == DUE + 5 * DAY
    assert not purged_at(DUE + 5 * DAY - MINUTE, submission)
    assert purged_at(DUE + 5 * DAY, submission)


def test_an_upload_after_the_due_time_counts_from_the_cut_off(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + DAY, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam), at=DUE + timedelta(hours=2))

    assert expiry(submission) == DUE + 4 * DAY


def test_an_extension_moves_the_date(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=3))
    submission = upload(client, student)

    student.extend_deadline(DUE + 2 * DAY)

    assert expiry(submission) == DUE + 5 * DAY
    assert not purged_at(DUE + 5 * DAY - MINUTE, submission)


def test_an_extension_moves_the_cut_off_with_it(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + DAY, retention_days=3)
    student = StudentFactory(exam=exam, extended_until=DUE + 2 * DAY)
    submission = upload(client, student)

    assert student.cutoff() == DUE + 3 * DAY
    assert expiry(submission) == DUE + 6 * DAY


def test_an_extension_earlier_than_the_due_time_changes_nothing(client):
    student = StudentFactory(
        exam=ExamFactory(closes_at=DUE, retention_days=3), extended_until=DUE - DAY
    )

    assert expiry(upload(client, student)) == DUE + 3 * DAY


def test_a_changed_due_time_moves_the_date(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))

    exam.closes_at = DUE + 7 * DAY
    exam.save()

    assert expiry(submission) == DUE + 10 * DAY
    assert not purged_at(DUE + 4 * DAY, submission)


def test_closing_by_hand_before_the_due_time_starts_the_clock_then(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))
    closed = UPLOADED + DAY

    with time_machine.travel(closed, tick=False):
        exam.set_manual_state("closed")

    assert expiry(submission) == closed + 3 * DAY
    assert purged_at(closed + 3 * DAY, submission)


def test_closing_by_hand_after_reopening_counts_from_the_close(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))
    with time_machine.travel(DUE + DAY, tick=False):
        exam.set_manual_state("open")

    assert expiry(submission) is None  # taking uploads again: nothing can go yet
    assert not purged_at(DUE + 30 * DAY, submission)

    with time_machine.travel(DUE + 31 * DAY, tick=False):
        exam.set_manual_state("")
    assert expiry(submission) == DUE + 34 * DAY


def test_an_open_ended_exam_deletes_each_file_days_after_its_upload(client):
    exam = ExamFactory(closes_at=None, retention_days=2)
    submission = upload(client, StudentFactory(exam=exam))

    assert expiry(submission) == UPLOADED + 2 * DAY
    assert not purged_at(UPLOADED + 2 * DAY - MINUTE, submission)
    assert purged_at(UPLOADED + 2 * DAY, submission)


def test_an_open_ended_exam_opened_by_hand_still_counts_from_the_upload(client):
    exam = ExamFactory(closes_at=None, retention_days=2, manual_state="open")

    assert expiry(upload(client, StudentFactory(exam=exam))) == UPLOADED + 2 * DAY


def test_each_exam_has_its_own_retention(client):
    short = upload(client, StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=1)))
    long = upload(client, StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=30)))

    assert (expiry(short), expiry(long)) == (DUE + DAY, DUE + 30 * DAY)


def test_purge_selects_in_one_query(client, django_assert_num_queries):
    exam = ExamFactory(closes_at=DUE, retention_days=1)
    for _ in range(3):
        upload(client, StudentFactory(exam=exam))

    with time_machine.travel(DUE + 2 * DAY, tick=False), django_assert_num_queries(1):
        assert len(list(Submission.objects.expired())) == 3

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from students.models import ExamArchived
from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload, upload_url

pytestmark = pytest.mark.django_db


def test_a_student_starts_with_every_upload():
    student = StudentFactory()

    assert student.uploads_left() == 5
    assert student.can_upload()


def test_a_student_with_no_uploads_left_cannot_upload():
    student = StudentFactory(uploads_used=5)

    assert student.uploads_left() == 0
    assert not student.can_upload()


def test_nobody_can_upload_after_the_deadline():
    deadline = timezone.now() + timedelta(hours=1)
    student = StudentFactory(exam__closes_at=deadline)

    assert student.can_upload()
    with time_machine.travel(deadline):
        assert not student.exam.is_open()
        assert not student.can_upload()


def test_upload_codes_are_unique_and_long():
    codes = {StudentFactory().upload_code for _ in range(20)}

    assert len(codes) == 20
    assert all(len(code) >= 32 for code in codes)


def test_an_extension_moves_only_that_students_deadline():
    deadline = timezone.now() + timedelta(hours=1)
    late = StudentFactory(exam__closes_at=deadline)
    other = StudentFactory(exam=late.exam)
    late.extend_deadline(deadline + timedelta(days=1))

    with time_machine.travel(deadline + timedelta(hours=1)):
        assert late.can_upload() and not other.can_upload()
    with time_machine.travel(deadline + timedelta(days=1)):
        assert not late.can_upload()


def test_an_extension_earlier_than_the_exams_deadline_changes_nothing():
    deadline = timezone.now() + timedelta(hours=1)
    student = StudentFactory(exam__closes_at=deadline, extended_until=deadline - timedelta(hours=2))

    assert student.deadline() == deadline


def test_a_manual_state_overrides_every_deadline():
    past = timezone.now() - timedelta(hours=1)
    student = StudentFactory(exam__closes_at=past)

    student.exam.set_manual_state("open")
    assert student.can_upload()
    student.exam.set_manual_state("closed")
    student.extend_deadline(timezone.now() + timedelta(days=1))
    assert not student.can_upload()
    student.exam.set_manual_state("")
    assert student.can_upload()  # back to the deadline, and the extension


def test_the_rules_can_be_asked_about_a_moment_in_the_past():
    deadline = timezone.now() - timedelta(minutes=1)
    student = StudentFactory(exam__closes_at=deadline)

    assert student.can_upload(at=deadline - timedelta(seconds=1))
    assert not student.can_upload()


def test_roster_counts_in_one_query(django_assert_num_queries):
    exam = StudentFactory(uploads_used=5).exam
    StudentFactory(exam=exam)

    with django_assert_num_queries(1):
        counts = exam.roster_counts()

    assert counts == {
        "total": 2,
        "submitted": 0,
        "waiting": 2,
        "no_uploads_left": 1,
        "committed": 0,
    }


def test_an_archived_exam_refuses_a_change_until_restored(exam):
    assert exam.refuse_if_archived() is exam
    exam.archive()

    with pytest.raises(ExamArchived, match="is archived, so it is read-only"):
        exam.refuse_if_archived()
    exam.restore()
    assert exam.refuse_if_archived() is exam


def test_the_refusal_is_a_permission_denied_for_the_pages(exam):
    exam.archive()

    with pytest.raises(PermissionDenied):
        exam.refuse_if_archived()


def test_an_exam_opened_by_hand_before_its_opening_time_has_opened(client, exam):
    """Opened by hand counts as opened: the page offers the upload and does not say when it
    opens, and the post is taken."""
    exam.opens_at = timezone.now() + timedelta(days=1)
    exam.save()
    exam.set_manual_state("open")
    student = StudentFactory(exam=exam)

    page = client.get(upload_url(student)).content.decode()

    assert exam.has_opened() and exam.is_open()
    assert 'data-testid="not-open"' not in page and "Upload your answer" in page
    assert post_upload(client, student).status_code == 302

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from students.tests.factories import StudentFactory

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

"""Adding a student to an exam."""

import pytest
from django.db import IntegrityError

from students.models import Student
from students.tests.factories import ExamFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_it_adds_a_student(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/students/new/",
        {
            "nickname": "s123",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.edu",
        },
    )

    student = Student.objects.get(nickname="s123")
    assert response.status_code == 302
    assert response["Location"] == f"/exams/{exam.pk}/students/{student.pk}/"
    assert student.exam == exam and student.uploads_used == 0
    assert len(student.upload_code) >= 22


def test_it_refuses_a_nickname_already_in_the_exam(examiner_client, student):
    response = examiner_client.post(
        f"/exams/{student.exam.pk}/students/new/",
        {"nickname": student.nickname.upper(), "first_name": "B", "last_name": "C", "email": ""},
    )

    assert response.status_code == 422
    assert "is already in this exam" in response.content.decode()
    assert Student.objects.count() == 1


def test_the_database_refuses_a_duplicate_nickname(student):
    with pytest.raises(IntegrityError):
        Student.objects.create(exam=student.exam, nickname=student.nickname, first_name="X")


def test_the_same_nickname_may_appear_in_another_exam(examiner_client, student):
    other_exam = ExamFactory(owner=student.exam.owner)

    response = examiner_client.post(
        f"/exams/{other_exam.pk}/students/new/",
        {"nickname": student.nickname, "first_name": "B", "last_name": "C", "email": ""},
    )

    assert response.status_code == 302
    assert {s.exam for s in Student.objects.filter(nickname=student.nickname)} == {
        student.exam,
        other_exam,
    }


def test_the_database_allows_the_same_nickname_in_another_exam(student):
    other = StudentFactory(exam=ExamFactory(owner=student.exam.owner), nickname=student.nickname)

    assert Student.objects.filter(nickname=student.nickname).count() == 2
    assert other.exam != student.exam

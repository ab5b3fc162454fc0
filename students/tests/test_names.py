"""Names and nicknames keep what people see and lose what they cannot: direction marks,
zero-width spaces and byte order marks (spreadsheets leave them in CSV exports), control
characters and odd spaces. Otherwise "ana" and "ana" plus an invisible mark would be two
different nicknames, and a reversed name could pass for another."""

import pytest

from students.models import Student
from students.tests.factories import StudentFactory
from students.tests.test_import import preview
from students.text import plain_text

pytestmark = pytest.mark.django_db

RLO, LRM, ZWSP, BOM, NBSP, ZWNJ = "\u202e", "\u200e", "\u200b", "\ufeff", "\u00a0", "\u200c"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (f"{RLO}Ada", "Ada"),
        (f"Ada{LRM}", "Ada"),
        (f"{BOM}Grace{ZWSP}", "Grace"),
        (f"Mary{NBSP}Ann\tLee ", "Mary Ann Lee"),
        ("Line\nbreak", "Line break"),
        ("Cafe\u0301", "Café"),  # one character, as NFC writes it
        (f"مهر{ZWNJ}ناز", f"مهر{ZWNJ}ناز"),  # Persian needs its zero-width non-joiner
        ("Zoë O'Brien-Smith", "Zoë O'Brien-Smith"),
    ],
)
def test_plain_text(typed, kept):
    assert plain_text(typed) == kept


def test_the_student_form_stores_names_without_invisible_marks(examiner_client, exam):
    examiner_client.post(
        f"/exams/{exam.pk}/students/new/",
        {"nickname": f"s1{LRM}", "first_name": f"{RLO}Ada", "last_name": "Lovelace", "email": ""},
    )

    student = Student.objects.get()
    assert (student.nickname, student.first_name) == ("s1", "Ada")


def test_a_name_of_only_invisible_marks_is_missing(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/students/new/",
        {"nickname": "s1", "first_name": ZWSP, "last_name": "Lovelace", "email": ""},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["first_name"] == ["This field is required."]
    assert not Student.objects.exists()


def test_an_invisible_mark_does_not_make_a_taken_nickname_new(examiner_client, exam):
    StudentFactory(exam=exam, nickname="ana")

    by_hand = examiner_client.post(
        f"/exams/{exam.pk}/students/new/",
        {"nickname": f"ana{ZWSP}", "first_name": "A", "last_name": "B", "email": ""},
    )
    imported = preview(examiner_client, exam, f"nickname,first name,last name\n{BOM}ana{LRM},A,B\n")

    assert "is already in this exam" in by_hand.content.decode()
    [row] = imported.context["preview"].rows
    assert row.nickname == "ana"
    assert row.errors == ["A student with nickname “ana” is already in this exam."]

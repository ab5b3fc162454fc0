"""Editing a student: above all, giving them a (valid) address to mail."""

import pytest
from django.urls import reverse

from students.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def edit(client, student, **data):
    url = reverse("students:student_edit", args=[student.exam_id, student.pk])
    fields = {
        "nickname": student.nickname,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "email": student.email,
        **data,
    }
    return client.post(url, fields)


def test_it_saves_a_new_address(examiner_client, exam):
    student = StudentFactory(exam=exam, email="")

    response = edit(examiner_client, student, email="ada@example.edu")

    assert response.status_code == 302
    student.refresh_from_db()
    assert student.email == "ada@example.edu"


@pytest.mark.parametrize(
    "address", ["ada@", "ada example.edu", "ada@example.edu\r\nBcc: victim@example.org"]
)
def test_an_invalid_address_gets_a_clear_message(examiner_client, exam, address):
    student = StudentFactory(exam=exam, email="old@example.edu")

    response = edit(examiner_client, student, email=address)

    assert response.status_code == 422
    assert "This is not an email address we can send to" in response.content.decode()
    student.refresh_from_db()
    assert student.email == "old@example.edu"


def test_the_import_names_an_invalid_address(examiner_client, exam):
    from students import imports

    [row] = imports.read("nickname,first name,last name,email\ns1,Ada,L,ada@@example.edu\n")

    assert row.errors == ["“ada@@example.edu” is not an email address."]

"""One nickname per exam whatever its case: in the form, the roster import and the database
itself, by one rule (collation.nickname_key), on SQLite and PostgreSQL alike."""

import unicodedata

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from students import imports
from students.collation import nickname_key
from students.tests.factories import ExamFactory, StudentFactory

BEFORE = [("students", "0011_exam_sharing_and_archive")]
AFTER = [("students", "0012_nickname_unique_in_any_case")]


@pytest.mark.django_db
def test_the_database_refuses_the_same_nickname_in_another_case(exam):
    StudentFactory(exam=exam, nickname="ada1")

    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(exam=exam, nickname="ADA1")


@pytest.mark.django_db
def test_another_exam_may_use_it(exam):
    StudentFactory(exam=exam, nickname="ada1")

    StudentFactory(exam=ExamFactory(), nickname="Ada1")


@pytest.mark.django_db
def test_editing_into_a_clash_is_422_with_a_clear_message(examiner_client, exam):
    StudentFactory(exam=exam, nickname="ada1")
    student = StudentFactory(exam=exam, nickname="grace")

    response = examiner_client.post(
        reverse("students:student_edit", args=[exam.pk, student.pk]),
        {"nickname": "Ada1", "first_name": "Grace", "last_name": "Hopper"},
    )

    assert response.status_code == 422
    assert "A student with nickname “Ada1” is already in this exam." in response.content.decode()
    student.refresh_from_db()
    assert student.nickname == "grace"


@pytest.mark.django_db
def test_adding_a_clash_is_422(examiner_client, exam):
    StudentFactory(exam=exam, nickname="ada1")

    response = examiner_client.post(
        reverse("students:student_create", args=[exam.pk]),
        {"nickname": "ADA1", "first_name": "Ada", "last_name": "Again"},
    )

    assert response.status_code == 422
    assert exam.students.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_the_clashes_it_finds():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("auth", "User")
    Exam = apps.get_model("students", "Exam")
    Student = apps.get_model("students", "Student")
    exam = Exam.objects.create(owner=User.objects.create(username="o"), title="Physics 1")
    for nickname in ["Ada", "ada", "grace"]:
        Student.objects.create(exam=exam, nickname=nickname, upload_code=nickname + "-code")
    try:
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError) as refused:
            executor.migrate(AFTER)
        assert f"exam {exam.pk} “Physics 1”: Ada, ada" in str(refused.value)
        assert "grace" not in str(refused.value)
    finally:
        Student.objects.filter(nickname="ada").delete()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# Pairs that are one nickname by Unicode's caseless match, though lower() keeps them apart
# (ß folds to ss, ǅ/Ǆ to ǆ, final ς to σ), and a pair that is two nicknames.
SAME = [
    ("straße", "STRASSE"),
    ("ǅemal", "ǆemal"),
    ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),
    ("\u00c5sa", "A\u030asa"),
]
DIFFERENT = [("strase", "straße"), ("ada1", "ada2")]


def test_the_rule_is_unicodes_caseless_match():
    assert [nickname_key(a) == nickname_key(b) for a, b in SAME] == [True] * len(SAME)
    assert [nickname_key(a) == nickname_key(b) for a, b in DIFFERENT] == [False, False]


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), SAME)
def test_the_database_refuses_a_nickname_the_same_by_the_rule(exam, first, second):
    StudentFactory(exam=exam, nickname=first)

    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(exam=exam, nickname=second)


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_the_database_takes_nicknames_different_by_the_rule(exam, first, second):
    StudentFactory(exam=exam, nickname=first)

    StudentFactory(exam=exam, nickname=second)

    assert exam.students.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), SAME)
def test_the_form_refuses_it_with_a_clear_message(examiner_client, exam, first, second):
    StudentFactory(exam=exam, nickname=first)

    response = examiner_client.post(
        reverse("students:student_create", args=[exam.pk]),
        {"nickname": second, "first_name": "Ada", "last_name": "Again"},
    )

    assert response.status_code == 422
    shown = unicodedata.normalize("NFC", second)  # as the form reads it
    assert f"A student with nickname “{shown}” is already in this exam." in (
        response.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), SAME)
def test_the_import_flags_it_against_the_roster_and_within_the_file(exam, first, second):
    StudentFactory(exam=exam, nickname=first)
    text = f"nickname,first name,last name\n{second},Ada,One\nz9,Zoe,Two\nZ9,Zoe,Three\n"

    rows = imports.preview(exam, text).rows

    assert [bool(row.errors) for row in rows] == [True, False, True]
    assert "already in this exam" in rows[0].errors[0]
    assert "also on line" in rows[2].errors[0]


@pytest.mark.django_db
def test_renaming_a_student_keeps_the_key_in_step(exam):
    student = StudentFactory(exam=exam, nickname="grace")
    student.nickname = "STRASSE"
    student.save(update_fields=["nickname"])

    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(exam=exam, nickname="straße")


@pytest.mark.django_db(transaction=True)
def test_the_key_migration_names_students_that_become_one_nickname():
    before = [("students", "0018_import_remembers_its_encoding")]
    after = [("students", "0019_student_nickname_key")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    User = apps.get_model("auth", "User")
    Exam = apps.get_model("students", "Exam")
    Student = apps.get_model("students", "Student")
    exam = Exam.objects.create(owner=User.objects.create(username="o"), title="Physics 2")
    for nickname in ["straße", "STRASSE", "grace"]:
        Student.objects.create(exam=exam, nickname=nickname, upload_code=nickname + "-code")
    try:
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError) as refused:
            executor.migrate(after)
        assert f"exam {exam.pk} “Physics 2”: STRASSE, straße" in str(refused.value)
        assert "grace" not in str(refused.value)
    finally:
        Student.objects.filter(nickname="STRASSE").delete()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Student.objects.get(nickname="grace")

"""One nickname per exam whatever its case: in the form, and in the database itself."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

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

"""Duplicating an exam for the next term: its settings, optionally its roster with new
upload codes, never submissions; its times are set on the form that follows."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from api.forms import ApiExamForm
from students.forms import ExamForm
from students.models import Exam, ExamMail
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def duplicate(client, exam, **data):
    return client.post(reverse("students:exam_duplicate", args=[exam.pk]), data)


@pytest.fixture
def last_term(examiner):
    return ExamFactory(
        owner=examiner,
        title="Algebra final",
        language="de",
        time_zone="Europe/Vienna",
        closes_at=DUE,
        cutoff_at=DUE.replace(hour=13),
        manual_state="closed",
        max_uploads=3,
        max_upload_bytes=2048,
        delivery_minutes=45,
        retention_days=7,
        allowed_extensions="pdf",
        instructions="One PDF.",
        contact="exams@example.edu",
        statement="My own work.",
    )


def test_every_setting_on_the_exam_form_but_the_times_is_copied():
    """A setting added to the form later is copied too, or this fails."""
    times = {"opens_at", "closes_at", "cutoff_at"}
    settings_on_the_form = set(ExamForm.Meta.fields) - times - {"max_upload_mb"}

    assert settings_on_the_form | {"max_upload_bytes"} == set(Exam.COPIED_FIELDS)
    assert set(ApiExamForm.Meta.fields) - times - {"manual_state"} == set(Exam.COPIED_FIELDS)


def test_the_form_offers_a_title(examiner_client, last_term):
    response = examiner_client.get(reverse("students:exam_duplicate", args=[last_term.pk]))

    assert response.status_code == 200
    assert 'value="Algebra final (copy)"' in response.content.decode()


def test_it_copies_the_settings_but_not_the_times(examiner_client, last_term):
    ExamMail.objects.create(exam=last_term, subject="Your link", message="Upload here.")

    response = duplicate(examiner_client, last_term, title="Algebra final, winter")

    copy = Exam.objects.exclude(pk=last_term.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("students:exam_edit", args=[copy.pk])
    for name in Exam.COPIED_FIELDS:
        if name != "title":
            assert getattr(copy, name) == getattr(last_term, name), name
    assert copy.title == "Algebra final, winter"
    assert copy.delivery_minutes == 45
    assert (copy.language, copy.time_zone) == ("de", "Europe/Vienna")
    assert (copy.opens_at, copy.closes_at, copy.cutoff_at) == (None, None, None)
    assert copy.manual_state == ""
    assert copy.mail.subject == "Your link"
    assert not copy.students.exists()


def test_the_roster_comes_with_new_codes_and_without_submissions(
    examiner_client, client, last_term
):
    last_term.manual_state = ""
    last_term.closes_at = last_term.cutoff_at = None
    last_term.save()
    student = StudentFactory(exam=last_term, nickname="a1", email="ada@example.edu", language="en")
    post_upload(client, student)

    duplicate(examiner_client, last_term, title="Again", with_roster="on")

    copy = Exam.objects.get(title="Again")
    copied = copy.students.get()
    assert (copied.nickname, copied.full_name, copied.email, copied.language) == (
        "a1",
        student.full_name,
        "ada@example.edu",
        "en",
    )
    assert copied.upload_code != student.upload_code
    assert copied.uploads_used == 0
    assert not Submission.objects.filter(student__exam=copy).exists()


def test_a_co_examiner_duplicates_it_as_their_own(client, last_term):
    co_examiner = UserFactory()
    last_term.co_examiners.add(co_examiner)
    client.force_login(co_examiner)

    duplicate(client, last_term, title="Mine now")

    copy = Exam.objects.get(title="Mine now")
    assert copy.owner == co_examiner
    assert not copy.co_examiners.exists()


def test_an_archived_exam_can_be_duplicated(examiner_client, last_term):
    last_term.archive()

    assert duplicate(examiner_client, last_term, title="From the archive").status_code == 302


def test_a_copy_needs_a_title(examiner_client, last_term):
    assert duplicate(examiner_client, last_term, title=" ").status_code == 422

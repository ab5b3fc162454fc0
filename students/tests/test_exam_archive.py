"""Archiving an exam: out of the list, read-only on the dashboard, restorable; uploads and
retention go on by its times."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def archive(client, exam):
    return client.post(reverse("students:exam_archive", args=[exam.pk]))


def test_the_confirmation_says_what_happens_and_archives_nothing(examiner_client, exam):
    StudentFactory.create_batch(3, exam=exam)

    response = examiner_client.get(reverse("students:exam_archive", args=[exam.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Its 3 students keep their links" in page
    assert "It takes uploads now. Close it first if it should not." in page
    exam.refresh_from_db()
    assert not exam.is_archived()


def test_an_archived_exam_leaves_the_list_for_the_archive(examiner_client, exam):
    response = archive(examiner_client, exam)

    assert response.status_code == 302
    assert response["Location"] == reverse("students:exam_list")
    listing = examiner_client.get(reverse("students:exam_list")).content.decode()
    assert f'href="{exam.get_absolute_url()}"' not in listing
    assert "1 archived exam" in listing
    archived = examiner_client.get(reverse("students:exam_list_archived")).content.decode()
    assert f'href="{exam.get_absolute_url()}"' in archived


def test_its_pages_stay_readable_without_changes(examiner_client, exam):
    student = StudentFactory(exam=exam)
    archive(examiner_client, exam)

    page = examiner_client.get(exam.get_absolute_url())
    student_page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert page.status_code == 200
    assert 'data-testid="archived"' in page.content.decode()
    assert reverse("students:exam_edit", args=[exam.pk]) not in page.content.decode()
    assert reverse("students:student_edit", args=[exam.pk, student.pk]) not in student_page


def test_its_page_offers_no_action_it_would_refuse(examiner_client, exam):
    """Every link and every form on the archived exam's page leads somewhere that answers
    (the roster's bulk actions, refused while archived, are not offered)."""
    StudentFactory.create_batch(2, exam=exam)
    archive(examiner_client, exam)

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    targets = set(re.findall(r'(?:href|action)="(/exams/[^"]*)"', page))
    refused = [
        url
        for url in sorted(targets)
        if examiner_client.get(url.replace("&amp;", "&")).status_code == 403
    ]
    assert refused == []
    assert 'id="roster-selection"' not in page
    assert 'form="roster-selection"' not in page
    assert reverse("students:bulk_action", args=[exam.pk]) not in page


@pytest.mark.parametrize(
    "name, args, data",
    [
        ("exam_edit", ["exam"], {"title": "Changed"}),
        ("exam_state", ["exam"], {"state": "closed"}),
        ("student_create", ["exam"], {"nickname": "n1", "first_name": "A", "last_name": "B"}),
        ("student_edit", ["exam", "student"], {"nickname": "n2", "first_name": "A"}),
        ("student_new_link", ["exam", "student"], {}),
        ("student_remove", ["exam", "student"], {}),
        ("import_upload", ["exam"], {}),
        ("exam_archive", ["exam"], {}),
    ],
)
def test_it_refuses_every_change(examiner_client, exam, name, args, data):
    student = StudentFactory(exam=exam)
    code = student.upload_code
    archive(examiner_client, exam)
    objects = {"exam": exam.pk, "student": student.pk}
    url = reverse(f"students:{name}", args=[objects[arg] for arg in args])

    response = examiner_client.post(url, data)

    assert response.status_code == 403
    assert "is archived, so it is read-only" in response.content.decode()
    exam.refresh_from_db()
    student.refresh_from_db()
    assert exam.title != "Changed"
    assert exam.manual_state == ""
    assert student.upload_code == code
    assert exam.students.count() == 1


def test_restore_brings_it_back(examiner_client, exam):
    archive(examiner_client, exam)

    response = examiner_client.post(reverse("students:exam_restore", args=[exam.pk]))

    assert response.status_code == 302
    exam.refresh_from_db()
    assert not exam.is_archived()
    listing = examiner_client.get(reverse("students:exam_list")).content.decode()
    assert f'href="{exam.get_absolute_url()}"' in listing
    assert examiner_client.get(reverse("students:exam_edit", args=[exam.pk])).status_code == 200


def test_retention_keeps_running_for_an_archived_exam(examiner):
    due = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    exam = ExamFactory(owner=examiner, closes_at=due, retention_days=3)
    student = StudentFactory(exam=exam)
    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert post_upload(Client(), student).status_code == 302
    exam.archive()

    with time_machine.travel(due + timedelta(days=3), tick=False):
        call_command("purge_expired", verbosity=0)

    assert not Submission.objects.get(student=student).has_file()

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from conftest import s3_keys
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def purge(capsys):
    call_command("purge_expired")
    return capsys.readouterr().out


def test_it_deletes_files_after_three_days_and_keeps_the_record(client, student, s3, capsys):
    post_upload(client, student, b"old answer")
    submission = Submission.objects.get()

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        output = purge(capsys)

    submission.refresh_from_db()
    assert output.strip() == "Purged 1 files"
    assert s3_keys(s3) == []
    assert submission.file_deleted_at is not None
    assert submission.sha256 and submission.original_name and submission.size
    assert Event.objects.filter(kind=Event.Kind.PURGED, submission=submission).exists()


def test_it_keeps_files_younger_than_three_days(client, student, s3, capsys):
    post_upload(client, student, b"fresh answer")

    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        output = purge(capsys)

    assert output.strip() == "Purged 0 files"
    assert len(s3_keys(s3)) == 1
    assert Submission.objects.get().file_deleted_at is None


def test_a_new_exams_retention_period_comes_from_settings(client, settings, capsys):
    settings.SUBMISSION_RETENTION_DAYS = 1
    student = StudentFactory(exam=ExamFactory())
    post_upload(client, student)

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert purge(capsys).strip() == "Purged 1 files"


def test_it_is_safe_to_run_twice(client, student, s3, capsys):
    post_upload(client, student)

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        first, second = purge(capsys), purge(capsys)

    assert (first.strip(), second.strip()) == ("Purged 1 files", "Purged 0 files")
    assert Event.objects.filter(kind=Event.Kind.PURGED).count() == 1


def test_the_verification_page_says_the_file_went_under_the_retention_policy(
    client, student, capsys
):
    post_upload(client, student)
    submission = Submission.objects.get()
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        purge(capsys)

    page = client.get("/verify/", {"code": submission.verification_code}).content.decode()

    assert "under the retention policy" in page
    assert submission.sha256 in page
    assert "Download the file" not in page


def test_the_students_page_and_roster_show_when_the_file_expires(client, examiner_client, student):
    post_upload(client, student)
    expires = timezone.localtime(
        Submission.objects.with_expiry().get().expires_at, student.exam.zone
    )

    upload_page = client.get(f"/u/{student.upload_code}/").content.decode()
    roster = examiner_client.get(f"/exams/{student.exam.pk}/").content.decode()

    assert expires.strftime("%-d %b") in upload_page
    assert expires.strftime("%-d %b") in roster

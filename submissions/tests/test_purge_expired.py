from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from conftest import s3_keys
from students.tests.factories import ExamFactory, StudentFactory
from submissions import storage
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def purge(capsys, verbosity=1):
    call_command("purge_expired", verbosity=verbosity)
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


def test_verbosity_2_lists_each_file_and_0_prints_nothing(client, student, capsys):
    post_upload(client, student, name="old.pdf")
    submission = Submission.objects.get()

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        listed = purge(capsys, verbosity=2)
        post_upload(client, student, name="newer.pdf")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        quiet = purge(capsys, verbosity=0)

    assert listed.splitlines() == [f"Purged {submission.file.name} (old.pdf)", "Purged 1 files"]
    assert quiet == ""
    assert Submission.objects.with_file().count() == 0


def test_it_reports_a_failed_delete_and_purges_the_rest(client, student, s3, capsys):
    post_upload(client, student, b"one")
    first = Submission.objects.get()
    post_upload(client, StudentFactory(exam=student.exam), b"two")
    real_delete = storage.delete

    def delete(key):
        if key == first.file.name:  # the fault: storage refuses this one delete
            raise storage.StorageUnavailable("503 Slow Down")
        real_delete(key)

    with (
        time_machine.travel(timezone.now() + timedelta(days=4)),
        mock.patch.object(storage, "delete", side_effect=delete),
    ):
        call_command("purge_expired", verbosity=0)

    out, err = capsys.readouterr()
    assert (out, err.strip()) == ("", f"Could not delete {first.file.name}: 503 Slow Down")
    assert list(Submission.objects.with_file()) == [first]
    assert s3_keys(s3) == [first.file.name]

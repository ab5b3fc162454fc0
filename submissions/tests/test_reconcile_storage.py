from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from conftest import s3_keys
from students.tests.factories import ExamFactory, StudentFactory
from submissions import storage, uploads
from submissions.models import Commitment, Submission
from submissions.tests.helpers import commit_file, post_upload, put_bytes

pytestmark = pytest.mark.django_db


def reconcile(capsys, *args, verbosity=2):
    call_command("reconcile_storage", *args, verbosity=verbosity)
    return capsys.readouterr().out


@pytest.fixture
def orphan(s3):
    """An object no submission owns, as a crash between store and record would leave."""
    return default_storage.save("submissions/orphan0000", ContentFile(b"lost"))


def test_a_dry_run_lists_old_orphans_and_deletes_nothing(client, student, s3, orphan, capsys):
    post_upload(client, student)

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        output = reconcile(capsys)

    assert f"Orphaned object {orphan}" in output
    assert "1 orphaned objects would delete" in output
    assert orphan in s3_keys(s3) and len(s3_keys(s3)) == 2


def test_it_leaves_objects_younger_than_an_hour(s3, orphan, capsys):
    output = reconcile(capsys, "--delete")

    assert "0 orphaned objects deleted" in output
    assert s3_keys(s3) == [orphan]


def test_delete_removes_orphans_and_a_superseded_file_left_behind(client, student, s3, capsys):
    post_upload(client, student, b"first")
    first = Submission.objects.get()
    post_upload(client, student, b"second")
    current = Submission.objects.current().get()
    default_storage.save(first.file.name, ContentFile(b"first"))  # as if its delete had failed
    Submission.objects.filter(pk=first.pk).update(file_deleted_at=None)

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        output = reconcile(capsys, "--delete")
        again = reconcile(capsys, "--delete")

    first.refresh_from_db()
    assert f"Deleted object {first.file.name}" in output
    assert s3_keys(s3) == [current.file.name]
    assert first.file_deleted_at is not None
    assert "0 orphaned objects deleted; 0 submissions missing" in again


def test_it_lists_submissions_whose_object_is_missing(client, student, s3, capsys):
    post_upload(client, student)
    submission = Submission.objects.get()
    s3.delete_object(Bucket=s3.bucket, Key=submission.file.name)

    output = reconcile(capsys)

    assert f"Missing object {submission.file.name} for submission {submission.pk}" in output
    assert "1 submissions missing their object" in output


def test_it_works_on_local_storage_before_any_upload(db, capsys):
    assert "0 orphaned objects" in reconcile(capsys)


def test_delete_reports_a_failed_delete_and_deletes_the_rest(s3, capsys):
    keys = [default_storage.save(f"submissions/orphan000{n}", ContentFile(b"lost")) for n in (1, 2)]
    real_delete = storage.delete

    def delete(key):
        if key == keys[0]:  # the fault: storage refuses this one delete, which moto cannot stage
            raise storage.StorageUnavailable("503 Slow Down")
        real_delete(key)

    with (
        time_machine.travel(timezone.now() + timedelta(hours=2)),
        mock.patch.object(storage, "delete", side_effect=delete),
    ):
        call_command("reconcile_storage", "--delete")

    out, err = capsys.readouterr()
    assert err.strip() == f"Could not delete {keys[0]}: 503 Slow Down"
    assert out.strip() == "1 orphaned objects deleted, 1 failed; 0 submissions missing their object"
    assert s3_keys(s3) == [keys[0]]


@pytest.fixture
def an_orphan_and_a_missing_object(client, student, s3, orphan):
    post_upload(client, student)
    s3.delete_object(Bucket=s3.bucket, Key=Submission.objects.get().file.name)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        yield


def test_by_default_it_prints_only_the_counts(an_orphan_and_a_missing_object, capsys):
    output = reconcile(capsys, verbosity=1)

    assert output.splitlines() == [
        "1 orphaned objects would delete (run with --delete); 1 submissions missing their object"
    ]


def test_verbosity_0_prints_nothing(an_orphan_and_a_missing_object, s3, capsys):
    assert reconcile(capsys, "--delete", verbosity=0) == ""
    assert len(s3_keys(s3)) == 0


# --- Two-step uploads' objects ------------------------------------------------------------


def test_it_keeps_the_bytes_of_an_open_commitment_however_old(s3, capsys):
    """A long delivery window: the file may still be completed, so its object is live."""
    student = StudentFactory(exam=ExamFactory(delivery_minutes=24 * 60))
    commitment = commit_file(student)
    put_bytes(*uploads.delivery(commitment, None))

    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        output = reconcile(capsys, "--delete")

    assert "0 orphaned objects deleted" in output
    assert s3_keys(s3) == [commitment.key]
    assert uploads.complete(student, commitment).file.name == commitment.key


@pytest.mark.parametrize("ended_by", ["expiry", "a later upload"])
def test_it_deletes_bytes_of_a_commitment_that_ended_after_the_grace(
    client, student, s3, capsys, ended_by
):
    """Bytes that arrived after the commitment ended (a presigned URL outlives it), or
    whose delete failed: no submission or open commitment owns them."""
    commitment = commit_file(student)
    url, headers = uploads.delivery(commitment, None)
    if ended_by == "expiry":
        Commitment.objects.filter(pk=commitment.pk).update(deliver_by=timezone.now())
        Commitment.objects.expire_overdue()
    else:
        post_upload(client, student, b"%PDF-1.7 sent whole")
    assert Commitment.objects.get().state != Commitment.State.OPEN
    put_bytes(url, headers)  # the PUT arrives after all

    young = reconcile(capsys, "--delete")
    assert commitment.key in s3_keys(s3)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        old = reconcile(capsys, "--delete")

    assert "0 orphaned objects deleted" in young
    assert f"Deleted object {commitment.key}" in old
    assert commitment.key not in s3_keys(s3)
    assert len(s3_keys(s3)) == Submission.objects.count()

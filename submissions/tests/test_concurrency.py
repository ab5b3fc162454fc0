"""Many uploads at once on PostgreSQL, with real threads and S3 through moto's server."""

import secrets
import threading
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.test import Client

from conftest import s3_keys
from students.tests.factories import StudentFactory
from submissions import storage
from submissions.models import Submission, UploadsExhausted
from submissions.tests.helpers import answer, post_upload, upload_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_all_at_once(student, tokens):
    """Posts one upload per token, each from its own thread, released together."""
    barrier = threading.Barrier(len(tokens))
    responses = [None] * len(tokens)

    def post(i, token):
        try:
            barrier.wait(timeout=30)
            responses[i] = Client().post(
                upload_url(student),
                {
                    "form_token": token,
                    "confirm_last": "on",
                    "file": answer(f"answer {i}".encode(), f"a{i}.pdf"),
                },
            )
        except Exception as error:  # reported below, with the thread it came from
            responses[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [r for r in responses if not hasattr(r, "status_code")]
    assert errors == [], f"{len(errors)} posts got no response: {errors[:3]}"
    return responses


def test_twenty_simultaneous_uploads_accept_exactly_the_limit(s3):
    student = StudentFactory()

    responses = post_all_at_once(student, [secrets.token_urlsafe(16) for _ in range(20)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] * 5 + [403] * 15
    refused = [r for r in responses if r.status_code == 403]
    assert all("You have used all your uploads" in r.content.decode() for r in refused)
    student.refresh_from_db()
    assert student.uploads_used == 5
    current = Submission.objects.current().get(student=student)
    assert s3_keys(s3) == [current.file.name]
    superseded = Submission.objects.filter(student=student, superseded_at__isnull=False)
    assert superseded.count() == 4
    assert not superseded.filter(file_deleted_at__isnull=True).exists()


def test_extra_uploads_raise_the_limit_twenty_simultaneous_uploads_meet(s3):
    # Named unlike the test above: the s3 fixture names its bucket by a test's first 40
    # characters.
    student = StudentFactory(extra_uploads=3)  # 5 from the exam, 3 more for this student

    responses = post_all_at_once(student, [secrets.token_urlsafe(16) for _ in range(20)])

    assert sorted(r.status_code for r in responses) == [302] * 8 + [403] * 12
    student.refresh_from_db()
    assert student.uploads_used == 8
    assert Submission.objects.filter(student=student).count() == 8
    assert s3_keys(s3) == [Submission.objects.current().get(student=student).file.name]


def test_the_same_form_posted_twice_at_once_uses_one_upload(s3):
    student = StudentFactory()

    responses = post_all_at_once(student, ["one-form-token"] * 4)

    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
    student.refresh_from_db()
    assert student.uploads_used == 1
    assert Submission.objects.filter(student=student).count() == 1
    assert len(s3_keys(s3)) == 1


def test_the_last_upload_posted_twice_at_once_shows_its_receipt_both_times(s3):
    """The second post of the fifth form finds no uploads left under the lock: it is the
    same upload, so it gets the receipt, not "You have used all your uploads"."""
    student = StudentFactory()
    for n in range(4):
        post_upload(Client(), student, f"v{n}".encode())

    responses = post_all_at_once(student, ["the-fifth-form"] * 4)

    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
    student.refresh_from_db()
    assert student.uploads_used == 5
    assert len(s3_keys(s3)) == 1


def test_record_counts_exactly_the_limit_when_twenty_race_for_it():
    """The rule under the lock, without HTTP: all threads reach record() together."""
    student = StudentFactory()
    barrier = threading.Barrier(20)
    outcomes = []

    def record(i):
        try:
            barrier.wait(timeout=30)
            Submission.objects.record(
                student,
                key=f"submissions/k{i}",
                original_name="a.pdf",
                size=1,
                sha256="0" * 64,
                content_type="application/pdf",
            )
            outcomes.append("accepted")
        except UploadsExhausted:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["accepted"] * 5 + ["refused"] * 15
    student.refresh_from_db()
    assert student.uploads_used == 5
    assert Submission.objects.current().filter(student=student).count() == 1


def test_no_database_connection_is_held_while_the_file_goes_to_storage(client):
    """Waiting uploads must not hold the pool: the connection is given back before the put.
    (The wrapper only observes the connection; the store itself is real.)"""
    student = StudentFactory()
    held = []
    real_store = storage.store

    def observed_store(*args, **kwargs):
        held.append(connection.connection is not None)
        return real_store(*args, **kwargs)

    with mock.patch.object(storage, "store", observed_store):
        response = client.post(
            upload_url(student), {"form_token": "observed", "file": answer(b"x", "a.pdf")}
        )

    assert response.status_code == 302
    assert held == [False]


def test_recording_an_upload_locks_the_student_not_the_whole_exam():
    """Every student of an exam uploads in the same minutes: recording one upload must not
    wait for another transaction that holds the exam's row (another student's upload, or the
    examiner saving the exam form). A second connection holds that row while we record."""
    student = StudentFactory()
    with psycopg.connect(**connection.get_connection_params(), autocommit=False) as other:
        other.execute("SELECT id FROM students_exam WHERE id = %s FOR UPDATE", [student.exam_id])
        with connection.cursor() as cursor:  # fail fast instead of waiting for `other`
            cursor.execute("SET lock_timeout = '2s'")
        try:
            submission, _ = Submission.objects.record(
                student,
                key="submissions/k",
                original_name="a.pdf",
                size=1,
                sha256="0" * 64,
                content_type="application/pdf",
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

    assert submission.student_id == student.pk

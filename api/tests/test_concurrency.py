"""Twenty uploads at once through /api/v1/ and /api/v0/ accept exactly the limit
(PostgreSQL, real threads, S3 through moto's server)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from conftest import s3_keys
from students.tests.factories import StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import answer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_all_at_once(url, count=20):
    barrier = threading.Barrier(count)
    responses = [None] * count

    def post(i):
        try:
            barrier.wait(timeout=30)
            responses[i] = Client().post(url, {"file": answer(f"answer {i}".encode(), f"a{i}.pdf")})
        except Exception as error:  # reported below, with the thread it came from
            responses[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [r for r in responses if not hasattr(r, "status_code")]
    assert errors == [], f"{len(errors)} posts got no response: {errors[:3]}"
    return responses


def assert_exactly_the_limit_was_kept(student, s3):
    student.refresh_from_db()
    assert student.uploads_used == 5
    current = Submission.objects.current().get(student=student)
    assert s3_keys(s3) == [current.file.name]
    superseded = Submission.objects.filter(student=student, superseded_at__isnull=False)
    assert superseded.count() == 4
    assert not superseded.filter(file_deleted_at__isnull=True).exists()


def test_twenty_uploads_at_once_through_v1_accept_exactly_the_limit(s3):
    student = StudentFactory()

    responses = post_all_at_once(f"/api/v1/uploads/{student.upload_code}")

    assert sorted(r.status_code for r in responses) == [201] * 5 + [403] * 15
    refused = [r.json() for r in responses if r.status_code == 403]
    assert {body["code"] for body in refused} == {"no_uploads_left"}
    assert_exactly_the_limit_was_kept(student, s3)


def test_twenty_uploads_at_once_through_v0_accept_exactly_the_limit(s3):
    student = StudentFactory()

    responses = post_all_at_once(f"/api/v0/submissions/{student.upload_code}")

    assert sorted(r.status_code for r in responses) == [201] * 5 + [422] * 15
    refused = [r.json()["detail"] for r in responses if r.status_code == 422]
    assert set(refused) == {"Submissions count limit exceeded"}
    assert_exactly_the_limit_was_kept(student, s3)

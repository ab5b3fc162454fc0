"""A database that hangs (here: another session holding a table's lock, as a long
migration or a stuck transaction would) while gunicorn serves the app with psycopg's pool, as
in production: the page and the upload answer 503 within seconds, and an upload the student
was told failed is never recorded once the database moves again."""

import contextlib
import time

import psycopg
import pytest

import conftest
from students.tests.factories import StudentFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import http_get, http_upload, upload_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STATEMENT_TIMEOUT = 2  # seconds; production's is 10


@contextlib.contextmanager
def table_locked(table):
    """Another session holds `table` in ACCESS EXCLUSIVE mode: every query touching it
    waits, as on a database that hangs, until the block ends."""
    with psycopg.connect(conftest.tests_database_url()) as session:
        session.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        yield
        session.rollback()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    return result, time.monotonic() - started


@pytest.fixture
def served(app_servers):
    (url,) = app_servers.start(
        workers=1, threads=4, DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT)
    )
    return url


def test_a_page_answers_503_within_seconds_while_its_table_is_locked(served):
    student = StudentFactory()

    with table_locked("students_student"):
        (status, page), seconds = timed(http_get, served + upload_url(student), timeout=30)

    print(f"page answered {status} after {seconds:.1f} s on a locked table")
    assert status == 503
    assert "We lost touch with our database for a moment" in page
    assert seconds < STATEMENT_TIMEOUT + 3
    assert http_get(served + upload_url(student))[0] == 200  # and it recovers at once


def test_an_upload_refused_on_a_hung_database_is_never_recorded_afterwards(served):
    student = StudentFactory()
    page = served + upload_url(student)
    assert http_get(page)[0] == 200

    with table_locked("submissions_submission"):
        try:
            (status, _, body), seconds = timed(http_upload, page, timeout=20)
        except TimeoutError:  # still waiting on the lock: the hang held the request
            status, body, seconds = None, "", 20.0
        time.sleep(0.5)  # the lock is released only after the student has their answer
    time.sleep(STATEMENT_TIMEOUT + 1)  # anything still waiting would now be recorded

    student.refresh_from_db()
    print(f"upload answered {status} after {seconds:.1f} s on a locked table")
    assert status == 503
    # The upload's own refusal, or the page for a database lost on the way (the refusal's
    # line in the audit trail waited on the lock too).
    assert "Nothing was used up" in body or "no upload is used up unless" in body
    assert seconds < STATEMENT_TIMEOUT + 3
    assert Submission.objects.filter(student=student).count() == 0
    assert student.uploads_used == 0
    assert not Event.objects.filter(student=student, kind=Event.Kind.UPLOAD_ACCEPTED).exists()

"""The queries of the deadline rush: a student opens the link and uploads. Each query costs
about half a millisecond of the app's CPU (bench/RESULTS.md), so these lists are a budget:
a test here fails when a change adds one. (On PostgreSQL, which production runs and which
shows the row locks.) Each code page first reads the client network's wrong-code count
(submissions.throttle): a query in production, which keeps the counts in the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions.tests.helpers import post_upload, sha256, upload_url
from submissions.tests.test_two_step import commit, complete, put

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def statements(queries):
    """Each statement as its verb and table, without transaction control."""
    kinds = []
    for query in queries:
        sql = query["sql"]
        verb = sql.split()[0]
        if verb in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}:
            continue
        table = next(word for word in sql.split() if word.startswith('"') and "_" in word)
        locked = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        kinds.append(f"{verb} {table.split('.')[0].strip(chr(34))}{locked}")
    return kinds


THROTTLE = "SELECT submissions_codemisscount"


def test_opening_the_link_before_a_first_upload_is_one_query_after_the_throttle(client, student):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(upload_url(student))

    assert response.status_code == 200
    assert statements(queries) == [THROTTLE, "SELECT students_student"]


def test_opening_the_link_after_an_upload_also_finds_the_submission(client, student):
    post_upload(client, student)

    with CaptureQueriesContext(connection) as queries:
        client.get(upload_url(student))

    assert statements(queries) == [
        THROTTLE,
        "SELECT students_student",
        "SELECT submissions_submission",
    ]


def test_opening_the_link_with_a_file_fixed_earlier_also_finds_its_commitment(client, student):
    """The student's query says whether a commitment waits (a subquery on the open-commitment
    index); only then is it read."""
    content = b"%PDF-1.7 fixed"
    client.post(
        reverse("submissions:commit", args=[student.upload_code]),
        {"token": "t" * 32, "sha256": sha256(content), "size": len(content), "name": "a.pdf"},
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.get(upload_url(student))

    assert b'data-testid="commitment"' in response.content
    assert statements(queries) == [
        THROTTLE,
        "SELECT students_student",
        "SELECT submissions_commitment",
    ]


def test_a_first_upload_is_six_statements_and_the_receipts_task(
    client, student, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_upload(client, student)

    assert response.status_code == 302
    assert statements(queries) == [
        THROTTLE,
        "SELECT students_student",  # the link
        "SELECT students_student FOR UPDATE",  # the rules, under the student's lock
        "INSERT submissions_submission",
        "UPDATE students_student",  # uploads_used + 1
        "INSERT submissions_event",  # the audit trail
        "INSERT students_mail",  # the receipt, queued with the upload: no worker can lose it
        "INSERT django_tasks_database_dbtaskresult",  # a worker woken to write and send it
    ]


def test_a_later_upload_also_checks_for_a_repeat_and_supersedes(client, student):
    post_upload(client, student)

    with CaptureQueriesContext(connection) as queries:
        post_upload(client, student)

    assert statements(queries) == [
        THROTTLE,
        "SELECT students_student",
        "SELECT submissions_submission",  # the same form posted again?
        "SELECT students_student FOR UPDATE",
        "SELECT submissions_submission FOR UPDATE",  # the current one
        "UPDATE submissions_submission",  # superseded
        "INSERT submissions_event",
        "INSERT submissions_submission",
        "UPDATE students_student",
        "INSERT submissions_event",
        "INSERT students_mail",
        "UPDATE submissions_submission",  # its file deleted
    ]


def test_a_two_step_commit_is_three_statements_after_the_link(client, student, s3):
    with CaptureQueriesContext(connection) as queries:
        response = commit(client, student)

    assert response.status_code == 201
    assert statements(queries) == [
        THROTTLE,
        "SELECT students_student",  # the link
        "SELECT students_student FOR UPDATE",  # the rules, under the student's lock
        "SELECT submissions_commitment",  # this token's, and the open one, in one query
        "INSERT submissions_commitment",
    ]


def test_a_two_step_completion_finds_the_commitment_with_the_link(
    client, student, s3, django_capture_on_commit_callbacks
):
    answer = commit(client, student).json()
    put(answer)

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = complete(client, answer)

    assert response.status_code == 200
    assert statements(queries) == [
        THROTTLE,
        "SELECT submissions_commitment",  # with its student and exam
        "SELECT students_student FOR UPDATE",
        "INSERT submissions_submission",
        "UPDATE students_student",
        "UPDATE submissions_commitment",  # delivered, if it still was open
        "INSERT submissions_event",
        "INSERT students_mail",
        "INSERT django_tasks_database_dbtaskresult",
    ]


def test_a_receipt_page_is_one_query_after_the_throttle_and_its_line_in_the_trail(client, student):
    post_upload(client, student)
    submission = student.submissions.get()
    url = reverse("submissions:receipt", args=[student.upload_code, submission.verification_code])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert statements(queries) == [
        THROTTLE,
        "SELECT submissions_submission",  # with its student and exam
        "INSERT submissions_event",  # receipt viewed
    ]

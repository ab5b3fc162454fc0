"""PostgreSQL drops every connection (a restart, a failover) while gunicorn serves the app
with psycopg's pool, as in production; pg_terminate_backend does the dropping."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from students.tests.factories import StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import http_get, http_upload, upload_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def terminate_app_connections(servers):
    """Terminates every backend serving the app servers; returns how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [servers.application_name],
        )
        return cursor.fetchone()[0]


def test_after_the_database_drops_its_connections_the_next_pages_all_load(app_servers):
    students = StudentFactory.create_batch(10)
    (url,) = app_servers.start()  # production's 2 workers x 32 threads
    pages = [url + upload_url(student) for student in students]
    with ThreadPoolExecutor(8) as pool:  # both workers' pools open several connections
        assert {status for status, _ in pool.map(http_get, pages * 4)} == {200}

    dropped = terminate_app_connections(app_servers)

    assert dropped >= 4  # at least the pools' minimum, 2 per worker
    statuses = [http_get(page)[0] for page in pages * 3]
    assert statuses == [200] * 30, app_servers.logs()


def test_uploads_in_flight_when_the_database_drops_get_a_receipt_or_the_friendly_503(
    app_servers,
):
    students = StudentFactory.create_batch(12)
    (url,) = app_servers.start()
    pages = [url + upload_url(student) for student in students]
    with ThreadPoolExecutor(8) as pool:
        assert {status for status, _ in pool.map(http_get, pages * 2)} == {200}

    def upload(page):  # a body that takes about 1.5 s to arrive
        return http_upload(page, b"%PDF-1.7 " + b"x" * 200_000, pieces=10, pause=0.15)

    dropped = []
    with ThreadPoolExecutor(24) as pool:
        uploads = [pool.submit(upload, page) for page in pages]
        loads = [pool.submit(http_get, page) for page in pages * 3]
        for _ in range(4):
            time.sleep(0.4)
            dropped.append(terminate_app_connections(app_servers))
        uploaded = [future.result() for future in uploads]
        loaded = [future.result() for future in loads]

    assert sum(dropped) >= 4
    statuses = [status for status, _, _ in uploaded] + [status for status, _ in loaded]
    assert 500 not in statuses, app_servers.logs()
    assert {status for status, _, _ in uploaded} <= {302, 503}
    assert {status for status, _ in loaded} <= {200, 503}
    for student, (status, location, page) in zip(students, uploaded, strict=True):
        student.refresh_from_db()
        submissions = list(Submission.objects.filter(student=student))
        if status == 302:
            assert [s.verification_code in location for s in submissions] == [True]
            assert student.uploads_used == 1
        else:  # the upload page's own 503, or the one for a connection lost on the way
            assert "Nothing was used up" in page or "no upload is used up unless" in page
            assert (submissions, student.uploads_used) == ([], 0)
    print(
        f"dropped {dropped} connections;",
        f"uploads {sorted(s for s, _, _ in uploaded)};",
        f"page loads {sorted(s for s, _ in loaded)}",
    )

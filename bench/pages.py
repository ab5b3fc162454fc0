"""
What two pages cost the app in CPU, measured in-process through Django's test client:

- the examiner's exam page with 50 student rows (one roster page), every student with an
  upload, some late, some with an extension or extra uploads, some mailed; the exam open
  with its deadline minutes away, so the counts, the newest uploads and the chart show;
- a student's receipt page of a signed upload (its QR code is the browser's to draw).

Creates a throwaway test database (Django's `test_` prefix on the configured database,
dropped at the end). Each view runs ROUNDS times after a few to warm up; the figure is the
process's CPU time for the whole request (middleware, queries' client side, rendering), so
a loaded machine slows it less than it does wall time. Without DEBUG, and without the test
environment's instrumented template rendering, as in production. With REDIS_URL set,
sessions and logins come from Redis, as in production.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/depository \\
        REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/pages.py
    PAGES_BENCH_ROUNDS=500 .venv/bin/python bench/pages.py

It prints a Markdown table and writes it to bench/RESULTS-pages.md.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

ROUNDS = int(os.environ.get("PAGES_BENCH_ROUNDS", "200"))
WARM = 10
ROWS = 50  # one roster page
RESULTS = Path(__file__).resolve().parent / "RESULTS-pages.md"


def cpu_per_view(client, url):
    """Median and 95th percentile of the process's CPU time for one GET of `url`, in ms,
    and the queries one view makes."""
    for _ in range(WARM):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    queries = len(queries)  # now: the next request's start clears the log
    samples = []
    for _ in range(ROUNDS):
        start = time.process_time()
        client.get(url)
        samples.append((time.process_time() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], queries


def seed_exam():
    """An examiner and an open exam of ROWS students who all uploaded, due in 10 minutes."""
    from students.models import Mail
    from students.tests.factories import (
        ExamFactory,
        StudentFactory,
        SubmissionFactory,
        UserFactory,
    )

    examiner = UserFactory()
    now = timezone.now()
    exam = ExamFactory(
        owner=examiner,
        title="Linear Algebra II — final exam",
        opens_at=now - timedelta(hours=2),
        closes_at=now + timedelta(minutes=10),
        time_zone="Europe/Berlin",
    )
    for i in range(ROWS):
        student = StudentFactory(
            exam=exam,
            uploads_used=1,
            extra_uploads=1 if i % 4 == 0 else 0,
            extended_until=now + timedelta(hours=1) if i % 5 == 0 else None,
            email="" if i % 10 == 9 else f"s{i}@example.edu",
        )
        SubmissionFactory(
            student=student,
            accepted_at=now - timedelta(minutes=i % 40, seconds=i),
            late_by=timedelta(minutes=7) if i % 7 == 0 else None,
        )
        if student.email and i % 3:
            Mail.objects.create(
                key=f"bench-link-{student.pk}",
                kind=Mail.Kind.LINK,
                to=student.email,
                student=student,
                exam=exam,
                state=Mail.State.FAILED if i % 11 == 0 else Mail.State.SENT,
                error="550 mailbox unavailable" if i % 11 == 0 else "",
            )
    return examiner, exam


def seed_receipt():
    """A student's signed upload, recorded as an upload records it."""
    from students.tests.factories import ExamFactory, StudentFactory
    from submissions.models import Submission

    now = timezone.now()
    exam = ExamFactory(opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=1))
    student = StudentFactory(exam=exam, email="")
    submission, _ = Submission.objects.record(
        student,
        key="submissions/bench-receipt",
        original_name="Mueller_Anna_LinearAlgebra_final.pdf",
        size=2_874_113,
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        content_type="application/pdf",
    )
    assert submission.receipt_jws
    return reverse("submissions:receipt", args=[student.upload_code, submission.verification_code])


def main():
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    media = tempfile.TemporaryDirectory(prefix="bench-media-")
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media.name},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        # Axes records logins by client address; force_login's bare request has none.
        with override_settings(
            STORAGES=storages, DEBUG=False, AXES_ENABLED=False, ALLOWED_HOSTS=["testserver"]
        ):
            examiner, exam = seed_exam()
            receipt_url = seed_receipt()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            examiner_client = Client()
            examiner_client.force_login(examiner)
            exam_page = cpu_per_view(examiner_client, exam.get_absolute_url())
            receipt_page = cpu_per_view(Client(), receipt_url)
    finally:
        media.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    rows = [
        (f"Exam page, {ROWS} rows (examiner)", *exam_page),
        ("Receipt page, signed; the browser draws its QR code (student)", *receipt_page),
    ]
    lines = [
        f"# Pages' app CPU per view ({ROUNDS} views each)\n",
        f"Database: {connection.vendor}; sessions and logins: "
        f"{'Redis' if settings.REDIS_URL else 'the database'}; "
        f"run {timezone.now():%Y-%m-%d %H:%M} UTC, `.venv/bin/python bench/pages.py`.\n",
        "| Page | CPU median | CPU p95 | queries |",
        "|---|---|---|---|",
        *(f"| {name} | {median:.1f} ms | {p95:.1f} ms | {n} |" for name, median, p95, n in rows),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()

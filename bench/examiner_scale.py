"""
The examiner's side at scale, measured in-process through Django's test client.

Creates a throwaway test database (Django's `test_` prefix on the configured database,
dropped at the end), then measures:

- importing a 5,000-row CSV: upload and check, the preview page, the confirm;
- the roster page with 10,000 students (half of them submitted, a quarter with accented
  names): server time and queries for the first page, a deep page, searches with and
  without accents, a filter, the sorts by name and by last upload, and the confirmation of
  a bulk action on all 5,000 matching;
- the QR slip sheet (200 slips) and the roster CSV of those 10,000 students;
- "Download all" for 100 files of 256 KiB: time, archive size and Python's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/depository \
        .venv/bin/python bench/examiner_scale.py
    .venv/bin/python bench/examiner_scale.py            # SQLite in memory

Server time here is the view's time without a network or a web server in front.
"""

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

IMPORT_ROWS = 5_000
ROSTER_STUDENTS = 10_000
ROSTER_REPEATS = 9
# Every fourth student has an accented name, so the accent-free search and the alphabet
# order work on names that need them.
SURNAMES = ["Hopper", "Müller", "Łukasiewicz", "Hopper", "Šimić", "Hopper", "Lovelace", "Hopper"]
ZIP_FILES = 100
ZIP_FILE_BYTES = 256 * 1024


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


def roster_csv(rows):
    lines = ["nickname;first name;last name;email"]
    lines += [f"b{i:06d};Ada{i};Lovelace{i};b{i:06d}@example.edu" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def bench_import(client, exam):
    data = roster_csv(IMPORT_ROWS)
    upload = SimpleUploadedFile("roster.csv", data, content_type="text/csv")
    response, upload_ms = timed(client.post, f"/exams/{exam.pk}/import/", {"file": upload})
    assert response.status_code == 302, response.status_code
    preview_url = response["Location"]
    response, preview_ms = timed(client.get, preview_url)
    assert response.status_code == 200
    page_bytes = len(response.content)
    response, confirm_ms = timed(client.post, preview_url + "confirm/")
    assert response.status_code == 302
    assert exam.students.count() == IMPORT_ROWS
    print(f"Import of {IMPORT_ROWS:,} rows ({len(data) / 1024:.0f} KiB CSV)")
    print(f"  upload and check      {upload_ms:8.0f} ms")
    print(f"  preview page          {preview_ms:8.0f} ms  ({page_bytes / 2**20:.1f} MiB of HTML)")
    print(f"  confirm (bulk insert) {confirm_ms:8.0f} ms")
    print(f"  total                 {upload_ms + preview_ms + confirm_ms:8.0f} ms")


def seed_roster(exam):
    from students.models import Student
    from submissions.models import Submission

    Student.objects.bulk_create(
        (
            Student(
                exam=exam,
                nickname=f"r{i:06d}",
                first_name=f"Grace{i}",
                last_name=f"{SURNAMES[i % len(SURNAMES)]}{i % 997:03d}",
                email=f"r{i:06d}@example.edu",
                uploads_used=1 if i % 2 == 0 else 0,
            )
            for i in range(ROSTER_STUDENTS)
        ),
        batch_size=2000,
    )
    submitted = exam.students.filter(uploads_used=1).values_list("pk", flat=True)
    Submission.objects.bulk_create(
        (
            Submission(
                student_id=pk,
                file=f"submissions/bench-{pk}",
                original_name="answer.pdf",
                size=1000,
                sha256="0" * 64,
            )
            for pk in submitted
        ),
        batch_size=2000,
    )


def bench_roster(client, exam):
    pages = {
        "first page, by name": "",
        "page 100 of 200": "?page=100",
        "search 'hopper42'": "?q=hopper42",
        "search 'muller'": "?q=muller",
        "search 'lukasiewicz 12'": "?q=lukasiewicz+12",
        "not yet submitted": "?show=waiting",
        "by name, Z to A": "?sort=-name",
        "by name, page 150": "?page=150",
        "latest upload first": "?sort=-last_upload",
        "bulk: all 5,000 waiting": "bulk/?action=extra_uploads&everyone=on&show=waiting",
    }
    print(f"Roster page with {ROSTER_STUDENTS:,} students (50 a page)")
    for label, query in pages.items():
        url = f"/exams/{exam.pk}/{query}"
        client.get(url)  # warm caches and the query plan
        times = []
        for _ in range(ROSTER_REPEATS):
            with CaptureQueriesContext(connection) as queries:
                response, ms = timed(client.get, url)
            assert response.status_code == 200
            times.append(ms)
        print(
            f"  {label:22} median {statistics.median(times):6.1f} ms, "
            f"max {max(times):6.1f} ms, {len(queries)} queries"
        )


def bench_roster_queries(exam):
    """The search and the sort alone: the roster's two queries for them (the count and one
    page of 50), without rendering the page."""
    from students.forms import RosterForm

    queries = {
        "search 'muller'": {"q": "muller"},
        "search 'lukasiewicz 12'": {"q": "lukasiewicz 12"},
        "search 'zzz' (no match)": {"q": "zzz"},
        "sort by name, first page": {},
        "sort by name, Z to A": {"sort": "-name"},
        "sort by name, page 150": {"page": 150},
    }
    print(f"Search and sort alone, {ROSTER_STUDENTS:,} students (count + a page of 50)")
    for label, data in queries.items():
        offset = (data.pop("page", 1) - 1) * 50
        times = []
        for _ in range(ROSTER_REPEATS + 1):
            students = RosterForm(data).students(exam)
            started = time.perf_counter()
            students.count()
            list(students[offset : offset + 50])
            times.append((time.perf_counter() - started) * 1000)
        times = times[1:]  # the first warms the plan
        print(f"  {label:26} median {statistics.median(times):6.1f} ms, max {max(times):6.1f} ms")


def bench_exports(client, exam):
    response, ms = timed(client.get, f"/exams/{exam.pk}/slips/")
    assert response.status_code == 200
    print(f"QR slip sheet, one page of 200 slips: {ms:.0f} ms")
    started = time.perf_counter()
    response = client.get(f"/exams/{exam.pk}/roster.csv")
    size = sum(len(chunk) for chunk in response.streaming_content)
    ms = (time.perf_counter() - started) * 1000
    print(f"Roster CSV of {ROSTER_STUDENTS:,} students: {ms:.0f} ms ({size / 2**20:.1f} MiB)")


def bench_zip(client, exam):
    from students.models import Student
    from submissions.models import Submission

    payload = os.urandom(ZIP_FILE_BYTES)
    for i in range(ZIP_FILES):
        student = Student.objects.create(
            exam=exam, nickname=f"z{i:04d}", first_name="Z", last_name="Z"
        )
        key = default_storage.save(f"submissions/zip-bench-{i}", ContentFile(payload))
        Submission.objects.create(
            student=student,
            file=key,
            original_name="answer.pdf",
            size=len(payload),
            sha256="0" * 64,
        )
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/exams/{exam.pk}/files.zip")
    size = sum(len(chunk) for chunk in response.streaming_content)
    ms = (time.perf_counter() - started) * 1000
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Download all: {ZIP_FILES} files of {ZIP_FILE_BYTES // 1024} KiB")
    print(
        f"  {size / 2**20:.1f} MiB streamed in {ms:.0f} ms "
        f"({size / 2**20 / (ms / 1000):.0f} MiB/s); Python peak memory {peak / 2**20:.2f} MiB"
    )


def main():
    from students.tests.factories import ExamFactory, UserFactory

    setup_test_environment()
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
        with override_settings(STORAGES=storages, DEBUG=False, AXES_ENABLED=False):
            print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
            examiner = UserFactory()
            client = Client()
            client.force_login(examiner)
            bench_import(client, ExamFactory(owner=examiner))
            roster = ExamFactory(owner=examiner)
            _, seed_ms = timed(seed_roster, roster)
            print(f"(seeded {ROSTER_STUDENTS:,} students in {seed_ms:.0f} ms with bulk_create)")
            if connection.vendor == "postgresql":
                # A fresh table has no statistics until autovacuum runs; production's have.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            bench_roster(client, roster)
            bench_roster_queries(roster)
            bench_exports(client, roster)
            bench_zip(client, ExamFactory(owner=examiner))
    finally:
        media.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

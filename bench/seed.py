"""
Seed the benchmark database: an examiner, one exam for the rush, and two roster exams.

Run by bench/rush.py with the benchmark's environment (its own DATABASE_URL); prints one
JSON object with the upload codes and exam ids. Never run it against a real database: it
only adds rows, but it adds thousands.
"""

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from students.models import Exam, Student  # noqa: E402
from submissions.models import Submission, submission_key  # noqa: E402


def add_students(exam, count, prefix):
    students = [
        Student(
            exam=exam,
            nickname=f"{prefix}{i:05d}",
            first_name="Student",
            last_name=f"{prefix.upper()}{i:05d}",
            email=f"{prefix}{i:05d}@example.edu",
        )
        for i in range(count)
    ]
    return Student.objects.bulk_create(students, batch_size=2000)


def add_submissions(students, now):
    """Every other student has submitted once, so the roster shows both kinds of row."""
    rows = [
        Submission(
            student=student,
            file=submission_key(),
            original_name=f"answer-{student.nickname}.pdf",
            size=3 * 1024 * 1024,
            sha256="0" * 64,
            content_type="application/pdf",
            accepted_at=now - timedelta(minutes=i % 90),
        )
        for i, student in enumerate(students)
        if i % 2 == 0
    ]
    Submission.objects.bulk_create(rows, batch_size=2000)
    Student.objects.filter(pk__in=[row.student_id for row in rows]).update(uploads_used=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, required=True, help="students in the rush exam")
    parser.add_argument("--roster", type=int, nargs="*", default=[100, 10_000])
    parser.add_argument("--password", default=os.environ.get("BENCH_EXAMINER_PASSWORD"))
    args = parser.parse_args()
    if not args.password:
        parser.error("--password or BENCH_EXAMINER_PASSWORD is required")

    now = timezone.now()
    with transaction.atomic():
        examiner = get_user_model().objects.create_user("bench-examiner", password=args.password)
        rush = Exam.objects.create(
            owner=examiner, title="Rush", closes_at=now + timedelta(days=1), max_uploads=5
        )
        codes = [s.upload_code for s in add_students(rush, args.students, "r")]
        rosters = {}
        for size in args.roster:
            exam = Exam.objects.create(
                owner=examiner, title=f"Roster of {size}", closes_at=now + timedelta(days=1)
            )
            add_submissions(add_students(exam, size, "s"), now)
            rosters[str(size)] = exam.pk

    # Fresh statistics, as autovacuum would have them a minute after an import: without
    # them PostgreSQL plans the roster's counts for an empty table (bench/RESULTS.md).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    json.dump(
        {
            "username": examiner.username,
            "rush_exam": rush.pk,
            "max_upload_bytes": rush.max_upload_bytes,
            "codes": codes,
            "rosters": rosters,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()

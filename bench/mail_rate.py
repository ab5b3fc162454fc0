"""
Mail at scale: the click that queues upload links for 1,000 students, and the worker's
sending rate against a real SMTP server (aiosmtpd) on a loopback port.

Creates a throwaway test database (Django's `test_` prefix on the configured database,
dropped at the end), then:

- seeds exams of 1,000 students each and times the examiner's "Send to 1,000 students"
  post through Django's test client (the preview post too), with its queries;
- starts `manage.py worker` processes (1, then 2) as production runs them and measures
  mails per second from the first mail accepted by the SMTP server to the last, with the
  rate limit set out of the way.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/depository .venv/bin/python bench/mail_rate.py

Several workers need PostgreSQL (SQLite's file would serialise them anyway). Everything
talks to 127.0.0.1 only, and every phase is bounded in count and time.
"""

import argparse
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

STUDENTS = 1_000
CLICKS = 5
WORKER_TIMEOUT = 300  # seconds: a phase that takes longer is reported as unfinished
STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def seed(exam, count):
    from students.models import Student

    Student.objects.bulk_create(
        [
            Student(
                exam=exam,
                nickname=f"m{i:06d}",
                first_name=f"Ada{i}",
                last_name=f"Lovelace{i}",
                email=f"m{exam.pk}-{i:06d}@example.edu",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )


def post(client, exam, **data):
    fields = {
        "audience": "all",
        "subject": "Your upload link for {exam}",
        "message": "Dear {name},\n\nyour link: {link}\n\nDeadline: {deadline}",
        **data,
    }
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(f"/exams/{exam.pk}/mail/links/", fields)
        ms = (time.perf_counter() - started) * 1000
    return response, ms, len(queries)


def bench_click(client, examiner):
    from students.tests.factories import ExamFactory

    previews, sends, exams = [], [], []
    for _ in range(CLICKS):
        exam = ExamFactory(owner=examiner)
        seed(exam, STUDENTS)
        response, ms, _ = post(client, exam, preview="1")
        assert response.status_code == 200, response.status_code
        previews.append(ms)
        response, ms, query_count = post(client, exam, send="1", expected=str(STUDENTS))
        assert response.status_code == 302, response.status_code
        sends.append(ms)
        exams.append(exam)
    print(f'"Send to {STUDENTS:,} students" ({CLICKS} exams, server time in-process)')
    print(f"  preview   median {statistics.median(previews):6.0f} ms   max {max(previews):6.0f} ms")
    print(
        f"  send      median {statistics.median(sends):6.0f} ms   max {max(sends):6.0f} ms"
        f"   ({query_count} queries)"
    )
    return exams


def worker_env(smtp_port):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_RATE_PER_MINUTE": "1000000",
        "SITE_URL": "https://depository.example",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }


def bench_workers(inbox, smtp_port, workers, expected):
    from students.models import Mail

    before = len(inbox.messages)
    command = [sys.executable, "manage.py", "worker", "--no-reload", "--verbosity", "0"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=worker_env(smtp_port))  # noqa: S603
        for _ in range(workers)
    ]
    stamps = []
    deadline = time.monotonic() + WORKER_TIMEOUT
    try:
        while time.monotonic() < deadline and len(inbox.messages) - before < expected:
            time.sleep(0.05)
            stamps.append((time.monotonic(), len(inbox.messages) - before))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    arrived = len(inbox.messages) - before
    first = next(t for t, n in stamps if n > 0)
    last = next(t for t, n in stamps if n >= arrived)
    recipients = [a for m in inbox.messages[before:] for a in m["to"]]
    duplicates = len(recipients) - len(set(recipients))
    rate = (arrived - 1) / (last - first) if last > first else float("nan")
    print(
        f"  {workers} worker{'s' if workers > 1 else ' '}: {arrived:,} of {expected:,} mails in "
        f"{last - first:5.1f} s = {rate:5.0f} mails/s; duplicates {duplicates}; "
        f"failed {Mail.objects.filter(state='failed').exclude(error='').count()}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    from students.models import Mail
    from students.tests.factories import UserFactory
    from students.tests.smtp import SMTPServer

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per command
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = SMTPServer().start()
    try:
        # Axes records logins by client address; force_login's bare request has none.
        with override_settings(DEBUG=False, AXES_ENABLED=False, STORAGES=STORAGES):
            print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
            examiner = UserFactory()
            client = Client()
            client.force_login(examiner)
            exams = bench_click(client, examiner)
            if connection.vendor != "postgresql":
                print("Workers: skipped (several processes need PostgreSQL)")
                return
            print("Worker's sending rate, SMTP on loopback (aiosmtpd), rate limit off")
            half = [m.pk for m in Mail.objects.filter(exam__in=exams[2:])]
            # Held back for the second phase (failed without a reason: not counted as failed).
            Mail.objects.filter(pk__in=half).update(state="failed")
            bench_workers(server.inbox, server.port, 1, Mail.objects.filter(state="queued").count())
            Mail.objects.filter(pk__in=half).update(state="queued")
            bench_workers(server.inbox, server.port, 2, len(half))
    finally:
        server.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

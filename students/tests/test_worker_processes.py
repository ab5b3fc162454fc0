"""The worker as production runs it: separate processes on one PostgreSQL database, two at
once, and one killed in the middle of a mailing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from students import mail as student_mail
from students.models import Mail, Mailing
from students.tasks import deliver_mail
from students.tests.factories import StudentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def start_worker(smtp_port):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_RETRY_DELAYS": "0,0",
        "EMAIL_LEASE_SECONDS": "2",
        "SITE_URL": "https://depository.test",
        "DEBUG": "false",
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [
            sys.executable,
            "manage.py",
            "worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=env,
    )


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
        process.kill()
        process.wait()


def queue_links(exam):
    subject, message = student_mail.words(exam, Mailing.Kind.LINK)
    return student_mail.queue_mailing(
        exam, Mailing.Kind.LINK, subject, message, exam.students.all()
    )


def recipients(inbox):
    return sorted(address for m in inbox.messages for address in m["to"])


def test_two_workers_send_each_mail_exactly_once(settings, smtp, exam):
    students = StudentFactory.create_batch(60, exam=exam)
    queue_links(exam)
    deliver_mail.enqueue()  # a task for each worker, so both send at once
    workers = [start_worker(settings.EMAIL_PORT) for _ in range(2)]
    try:
        smtp.wait_for(60, timeout=60)
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            stop(worker)

    assert recipients(smtp) == sorted(s.email for s in students)
    assert Mail.objects.filter(state="sent").count() == 60


def test_a_worker_killed_mid_mailing_resumes_without_duplicates(settings, smtp, exam):
    students = StudentFactory.create_batch(10, exam=exam)
    queue_links(exam)
    smtp.hold_after = 4  # the fifth mail is on the wire when the worker dies
    first = start_worker(settings.EMAIL_PORT)
    try:
        assert smtp.holding.wait(60)
        first.kill()  # SIGKILL: no chance to finish or clean up
        first.wait()
    finally:
        smtp.release.set()
    assert len(smtp.messages) == 4
    assert Mail.objects.filter(state="sending").count() == 1

    second = start_worker(settings.EMAIL_PORT)
    try:
        smtp.wait_for(10, timeout=60)
        time.sleep(1)
    finally:
        stop(second)

    assert recipients(smtp) == sorted(s.email for s in students)
    assert Mail.objects.filter(state="sent").count() == 10

"""A receipt is never lost to a worker that dies, or loses its database connection, in the
middle of the receipt's task: real worker processes on the test database and a real SMTP
server. The worker is held mid-task by another session locking the outbox's table, as a
slow database would hold it, and then SIGKILLed, or its backend terminated."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

import conftest
from students.models import Mail
from submissions.tests.helpers import post_upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def start_worker(smtp_port, name, interval):
    env = {
        **os.environ,
        "DATABASE_URL": f"{conftest.tests_database_url()}?application_name={name}",
        "DATABASE_STATEMENT_TIMEOUT": "0",  # held on the lock until the test acts
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_LEASE_SECONDS": "2",
        "SITE_URL": "https://depository.test",
        "DEBUG": "false",
    }
    argv = ["manage.py", "worker", "--no-reload", "--no-startup-delay", "--interval", interval]
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, *argv, "--verbosity", "0"], cwd=ROOT, env=env
    )


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            process.kill()
            process.wait()


def backends(name, waiting_on_a_lock=False):
    sql = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    if waiting_on_a_lock:
        sql += " AND wait_event_type = 'Lock'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        return [pid for (pid,) in cursor.fetchall()]


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return result


def receipts(smtp, student):
    return [m for m in smtp.to(student.email) if "Receipt" in m["Subject"]]


@pytest.mark.parametrize("fault", ["sigkill", "backend_terminated"])
def test_a_receipt_whose_worker_dies_mid_task_is_still_sent(client, smtp, student, fault):
    first = start_worker(_port(), "receipt-first", "5")
    try:
        # Past its start (one tick of the clock), the worker waits 5 s between polls.
        wait_until(lambda: backends("receipt-first"), 30, "the first worker never connected")
        time.sleep(1)
        with psycopg.connect(conftest.tests_database_url()) as slow_database:
            assert post_upload(client, student).status_code == 302
            slow_database.execute('LOCK TABLE "students_mail" IN ACCESS EXCLUSIVE MODE')
            (pid,) = wait_until(
                lambda: backends("receipt-first", waiting_on_a_lock=True),
                30,
                "the worker never took the receipt's task",
            )
            task = DBTaskResult.objects.get(task_path="submissions.tasks.send_receipt")
            assert task.status == "RUNNING"
            if fault == "sigkill":
                first.kill()
                first.wait()
            else:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            slow_database.rollback()

        second = start_worker(_port(), "receipt-second", "0.1")
        try:
            wait_until(lambda: receipts(smtp, student), 60, "the receipt was never sent")
            time.sleep(1)  # a second copy would arrive now
        finally:
            stop(second)
    finally:
        stop(first)

    assert len(receipts(smtp, student)) == 1
    assert Mail.objects.get(kind="receipt").state == "sent"
    # The task the fault hit never finished well; the receipt did not depend on it.
    task.refresh_from_db()
    assert task.status in {"RUNNING", "FAILED"}


def _port():
    from django.conf import settings

    return settings.EMAIL_PORT

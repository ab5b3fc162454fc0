"""The worker's clock runs production's hourly jobs (students.clock, fly.toml has no other
scheduler): files past their retention, objects no submission owns, the throttle's ended
windows and old task results, once an hour, on whichever worker claims the hour first."""

import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import ROOT, s3_keys
from students import clock
from students.models import ClockRun
from students.tasks import deliver_mail
from submissions import throttle
from submissions.models import CodeMissCount
from submissions.tests.helpers import post_upload

START = timezone.now().replace(microsecond=0)


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        clock.tick()


@pytest.mark.django_db
def test_the_first_tick_of_an_hour_runs_every_hourly_job(client, student, s3, settings):
    settings.CODE_MISS_WINDOW = 600
    settings.REDIS_URL = ""  # the counts in their table, which purge_code_misses empties
    with time_machine.travel(START, tick=False):
        post_upload(client, student)  # kept 3 days (the exam has no due time)
        orphan = default_storage.save("submissions/orphan0000", ContentFile(b"lost"))
        throttle.record_miss("203.0.113.7")
        deliver_mail.enqueue()
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=START)
    ClockRun.objects.create(name="hourly", ran_at=START)

    tick_at(START + timedelta(days=15))

    submission = student.submissions.get()
    assert submission.file_deleted_at is not None  # purge_expired
    assert orphan not in s3_keys(s3) and s3_keys(s3) == []  # reconcile_storage --delete
    assert not CodeMissCount.objects.exists()  # purge_code_misses
    assert not DBTaskResult.objects.filter(finished_at=START).exists()  # prune_db_task_results


@pytest.mark.django_db
def test_the_hourly_jobs_wait_an_hour_between_runs(settings):
    settings.CODE_MISS_WINDOW = 60
    settings.REDIS_URL = ""
    tick_at(START)
    with time_machine.travel(START, tick=False):
        throttle.record_miss("203.0.113.7")  # its window ends within two minutes

    tick_at(START + timedelta(minutes=59, seconds=59))
    assert CodeMissCount.objects.exists()

    tick_at(START + timedelta(hours=1))
    assert not CodeMissCount.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_of_eight_workers_claiming_the_same_hour_exactly_one_wins():
    ClockRun.objects.create(name="hourly", ran_at=START - timedelta(hours=2))

    def claim(_):
        try:
            return ClockRun.claim("hourly", every=timedelta(hours=1), at=START)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, range(8)))

    assert won.count(True) == 1


def test_production_has_no_scheduler_but_the_workers_clock():
    processes = tomllib.loads((ROOT / "fly.toml").read_text())["processes"]

    assert set(processes) == {"app", "worker"}
    assert "sleep" not in " ".join(processes.values())

"""Work that falls due with time rather than with a request: automatic reminders, notices
to the examiner, mail whose worker died (every minute); deleting expired files, orphaned
objects, old throttle counts and old task results (every hour). Every worker runs the clock
(`manage.py worker`); each minute's jobs are idempotent, so several workers may run them at
once, and the hourly ones run on whichever worker claims the hour first (ClockRun)."""

import io
import logging
import os
import socket
from datetime import timedelta

from django.core.management import call_command

from students.models import ClockRun, WorkerHeartbeat

log = logging.getLogger(__name__)

JOBS = []
HOURLY_JOBS = []
HOUR = timedelta(hours=1)


def every_minute(job):
    JOBS.append(job)
    return job


def every_hour(job):
    HOURLY_JOBS.append(job)
    return job


def tick():
    """Record the worker's heartbeat, then run every job once, and the hourly jobs when this
    worker is the first to claim the hour; a job that fails is logged and the others run."""
    try:
        WorkerHeartbeat.beat(f"{socket.gethostname()}:{os.getpid()}")
    except Exception:
        log.exception("The worker's heartbeat could not be recorded")
    jobs = list(JOBS)
    try:
        if ClockRun.claim("hourly", every=HOUR):
            jobs += HOURLY_JOBS
    except Exception:
        log.exception("The clock could not claim this hour's jobs")
    for job in jobs:
        try:
            job()
        except Exception:
            log.exception("Clock job %s failed", job.__name__)


def run_command(name, *args, **options):
    """A management command as a clock job: what it says it did goes to the log."""
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=out, **options)
    for line in out.getvalue().splitlines():
        log.info("%s: %s", name, line)

"""Work that falls due with time rather than with a request: automatic reminders, notices
to the examiner, mail whose worker died. Every worker runs these jobs once a minute
(`manage.py worker`); each job is idempotent, so several workers may run them at once."""

import logging
import os
import socket

from students.models import WorkerHeartbeat

log = logging.getLogger(__name__)

JOBS = []


def every_minute(job):
    JOBS.append(job)
    return job


def tick():
    """Record the worker's heartbeat, then run every job once; a job that fails is logged
    and the others still run."""
    try:
        WorkerHeartbeat.beat(f"{socket.gethostname()}:{os.getpid()}")
    except Exception:
        log.exception("The worker's heartbeat could not be recorded")
    for job in JOBS:
        try:
            job()
        except Exception:
            log.exception("Clock job %s failed", job.__name__)

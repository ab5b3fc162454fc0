"""
/healthz/deep: the operator's view of every part the app needs, for an operator or a
monitor that holds HEALTH_TOKEN. (/healthz stays cheap, for Fly's checks.)

Each check is a function registered with @health_check: it returns nothing (or a dict of
figures to show) when its part answers, and raises when it does not. The answer lists
every check's status and latency, and is 503 when any one fails.
"""

import hmac
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.db.models import Case, DateTimeField, F, Min, When
from django.db.models.functions import Greatest
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult, get_date_max

from depository import connections as database_connections
from students.models import WorkerHeartbeat
from submissions import storage, throttle

log = logging.getLogger(__name__)

CHECKS = {}


def health_check(name):
    """Registers a check under `name`, in the order the answer lists them."""

    def register(check):
        CHECKS[name] = check
        return check

    return register


@health_check("database")
def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@health_check("connections")
def check_connections():
    """The deployment's pools together fit in the database's max_connections."""
    budget = database_connections.budget()
    if budget is None:
        return None
    if not budget.fits():
        raise RuntimeError(
            f"More connections configured than the database takes: {budget.describes()}"
        )
    return {"configured": budget.configured, "max": budget.available}


@health_check("storage")
def check_storage():
    """One cheap request to the bucket (HeadBucket), or a look at the local folder."""
    files = storages["default"]
    if storage.is_s3():
        files.connection.meta.client.head_bucket(Bucket=files.bucket_name)
        return
    location = Path(files.location)
    location.mkdir(parents=True, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"{location} is not writable")


def upload_temp_dirs():
    """Where a body is kept while it arrives: nginx's folder (behind depository/serve.py)
    and the app's own, where an upload past FILE_UPLOAD_MAX_MEMORY_SIZE spools."""
    dirs = {"app": settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()}
    if settings.PROXY_BODY_TEMP_DIR:
        dirs["proxy"] = settings.PROXY_BODY_TEMP_DIR
    return dirs


def has_room(free):
    return free >= settings.UPLOAD_TEMP_MIN_FREE_BYTES


@health_check("upload_temp")
def check_upload_temp():
    """Each folder that takes uploads as they arrive has room for some, and can be written:
    full or read-only, every upload past 64 KiB fails before the app sees it."""
    figures = {}
    for name, path in upload_temp_dirs().items():
        free = shutil.disk_usage(path).free
        figures[f"{name}_free_bytes"] = free
        if not has_room(free):
            raise RuntimeError(
                f"{path} has {free} bytes free, less than {settings.UPLOAD_TEMP_MIN_FREE_BYTES}"
            )
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(f"{path} is not writable")
    return figures


@health_check("throttle")
def check_throttle_store():
    """The store that counts wrong codes: it can be written and read right now."""
    throttle.check_store()


@health_check("worker")
def check_worker():
    """Some worker ran its clock lately: each one beats once a minute (students.clock)."""
    last = WorkerHeartbeat.last_beat_at()
    if last is None:
        raise RuntimeError("No worker has ever reported: is `manage.py worker` running?")
    age = (timezone.now() - last).total_seconds()
    if age > settings.WORKER_HEARTBEAT_MAX_AGE:
        raise RuntimeError(f"The last worker heartbeat is {age:.0f} s old")
    return {"last_heartbeat_seconds_ago": round(age, 1)}


@health_check("task_queue")
def check_task_queue():
    """The oldest task waiting to run has not waited long: a queue that only grows means the
    workers are stuck or too few."""
    waiting_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),  # no delay asked for
        default=Greatest("enqueued_at", "run_after"),  # a retry waits from when it was due
    )
    oldest = DBTaskResult.objects.ready().aggregate(
        oldest=Min(waiting_since, output_field=DateTimeField())
    )["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    if age > settings.TASK_QUEUE_MAX_AGE:
        raise RuntimeError(f"The oldest queued task has waited {age:.0f} s")
    return {"oldest_queued_task_seconds": round(age, 1)}


def _run(name, check):
    started = time.perf_counter()
    try:
        figures = check() or {}
    except Exception as error:  # any failure at all is what the operator needs to see
        latency = round((time.perf_counter() - started) * 1000, 1)
        log.warning("Health check %s failed after %s ms: %r", name, latency, error)
        return {"status": "failing", "latency_ms": latency, "error": repr(error)[:300]}
    latency = round((time.perf_counter() - started) * 1000, 1)
    return {"status": "ok", "latency_ms": latency, **figures}


def is_authorized(request):
    """`Authorization: Bearer <HEALTH_TOKEN>`, compared in constant time; never without a
    token configured."""
    token = settings.HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
def deep(request):
    """404 without the token, whatever the method, so the URL gives nothing away."""
    if not is_authorized(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = all(result["status"] == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks},
        status=200 if healthy else 503,
    )

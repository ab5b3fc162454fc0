"""gunicorn settings for production (Dockerfile) and the benchmark (bench/rush.py).

In production gunicorn sits behind nginx (depository/serve.py), which reads each body to its
end first, so a thread is held for an upload's work and its trip to storage, not for the
minutes a slow phone takes to send it. README "Serving the rush" explains the choice.
"""

import ctypes
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads wait on storage (a PutObject) more than they compute, so 2 x 32 of them keep
# the cores busy. Reached without nginx, each thread is also held by an upload for as long
# as its body takes to arrive: 64 slow phones would then starve everyone else.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# No access log: its request line names the path, and paths carry upload codes. The app
# writes one JSON line per request itself, with the route's name (depository/logs.py).
# gunicorn's own lines are JSON too, through the filter that masks codes: "Error handling
# request <path>" names the path.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        # A logging configuration would switch gunicorn's access log back on.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "filters": {"redact": {"()": "depository.logs.Redact"}},
    "formatters": {"json": {"()": "depository.logs.JsonLines"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# glibc's mallopt(3) option for the number of malloc arenas.
M_ARENA_MAX = -8


def post_fork(server, worker):
    """Keep a worker's memory flat: by default glibc gives request threads malloc arenas of
    their own (up to 8 per core), and each keeps the megabytes an upload passed through.
    Two arenas took a worker's peak in the C=16 run from 161-171 to 111-119 MiB
    (bench/RESULTS.md), at no measurable cost in CPU."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(M_ARENA_MAX, 2)


def post_worker_init(worker):
    """Build the file storage's S3 client before the worker takes its first request (the
    app, and so Django, is loaded by now): it cost the first upload in each worker 98-166
    ms of CPU. Then make the rest a first request would make lazily (depository.warmup:
    about 0.3 s more for the first student). Said in the log, with what each took."""
    from depository import warmup
    from submissions import storage

    took = storage.connect()
    if took is not None:
        worker.log.info("Worker %s built the S3 client in %.0f ms of CPU", worker.pid, took)
    took = warmup.run()
    worker.log.info("Worker %s warmed up in %.0f ms of CPU", worker.pid, took)

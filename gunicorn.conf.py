"""gunicorn settings for production (Dockerfile) and the benchmark (bench/rush.py).

Threaded workers, many threads: during the deadline rush a thread is held by each upload
for as long as its body takes to arrive, which on a slow connection is many seconds, while
the work itself takes milliseconds. README "Serving the rush" explains the choice.
"""

import ctypes
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# 2 x 32 threads cover fly.toml's hard limit of 60 requests, so a fast student never
# queues behind slow ones. A waiting thread costs little: an upload in flight holds its
# file (at most 3 MiB) and, while its body arrives, no database connection.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# glibc's malloc options (mallopt(3)): how many arenas, and the size above which a block
# is mapped on its own and handed back to the system when freed.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def post_fork(server, worker):
    """Keep a worker's memory flat. By default request threads get malloc arenas of their
    own, which keep the megabytes an upload passed through, and every freed upload buffer
    raises the mapping threshold so that later ones stay in the arenas too. Two arenas and
    a fixed 1 MiB threshold took a worker's peak in the C=16 run from about 150 to 130 MiB
    (bench/RESULTS.md)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(M_ARENA_MAX, 2)
    libc.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)

"""
How many PostgreSQL connections the deployment may hold at once, against how many the
server takes. Every process keeps its own pool: each of an app machine's WEB_CONCURRENCY
gunicorn processes up to DATABASE_POOL_MAX connections (its threads draw on it), a worker
or the maintenance process only as many as it has threads at once (the pool still opens
DATABASE_POOL_MIN). Past the server's max_connections (less the slots it keeps for
superusers), new connections are refused and requests fail in the rush.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

# A worker runs its tasks in one thread and its clock in another; the maintenance process
# runs one command at a time.
WORKER_THREADS = 2
MAINTENANCE_THREADS = 1


@dataclass(frozen=True)
class Budget:
    configured: int  # the most the deployment's processes can hold at once
    available: int  # what the server lets ordinary roles open

    def fits(self):
        return self.configured <= self.available

    def describes(self):
        return (
            f"{settings.APP_MACHINES} app machine(s) x {settings.WEB_CONCURRENCY} processes x "
            f"{settings.DATABASE_POOL_MAX} (DATABASE_POOL_MAX) + {settings.WORKER_MACHINES} "
            f"worker(s) x {_held(WORKER_THREADS)} + {settings.MAINTENANCE_MACHINES} "
            f"maintenance x {_held(MAINTENANCE_THREADS)} = {self.configured} connections, "
            f"and the database takes {self.available}"
        )


def _held(threads):
    """What a process with this many threads holds: its pool opens DATABASE_POOL_MIN."""
    return min(settings.DATABASE_POOL_MAX, max(settings.DATABASE_POOL_MIN, threads))


def configured():
    return (
        settings.APP_MACHINES * settings.WEB_CONCURRENCY * settings.DATABASE_POOL_MAX
        + settings.WORKER_MACHINES * _held(WORKER_THREADS)
        + settings.MAINTENANCE_MACHINES * _held(MAINTENANCE_THREADS)
    )


def available():
    """max_connections less superuser_reserved_connections, as the server says."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
        )
        return cursor.fetchone()[0]


def budget():
    """The budget, or None where there is no pool (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    return Budget(configured=configured(), available=available())

"""
Slowing down guessers. On the public pages a code is the only lock, so every wrong code
(unknown or malformed) is counted per client network; once a network has made
CODE_MISS_LIMIT misses in a window, every code page answers 429 until the window ends, and
the answer says nothing about the code. Right codes never count: hundreds of students
behind one campus NAT address are never slowed down.

Every process and machine shares the counts: a table of our own (CodeMissCount, made by an
ordinary migration), or Redis when REDIS_URL is set. Each miss is one atomic increment that
returns the new count (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, or Redis `INCR`),
so concurrent guessers on any number of servers are counted exactly, and a miss that takes
the count past the limit is already answered 429. Windows are aligned to the clock.
"""

import functools
import logging
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from depository.clientip import client_network
from submissions.models import CodeMissCount

log = logging.getLogger(__name__)

# A store that cannot be reached must not stop uploads during an exam: the throttle then
# lets requests through (the codes themselves carry 60 to 192 random bits) and logs an error.
STORE_ERRORS = (RedisError, DatabaseError, OSError)

# check_store() counts misses for this name, which no client network can have.
PROBE_NETWORK = "store-check"


class StoreUnavailable(Exception):
    """The throttle cannot read or write its counts."""


@dataclass(frozen=True)
class Window:
    start: int  # seconds since the epoch
    end: int

    @classmethod
    def now(cls):
        length = settings.CODE_MISS_WINDOW
        start = int(time.time() // length) * length
        return cls(start, start + length)

    def seconds_left(self):
        return self.end - time.time()


class TableStore:
    """CodeMissCount rows, one per network and window; purge_code_misses deletes old ones."""

    def __str__(self):
        return f"the table {CodeMissCount._meta.db_table}"

    def misses(self, network, window):
        rows = CodeMissCount.objects.filter(network=network, window_start=_datetime(window.start))
        return rows.values_list("misses", flat=True).first() or 0

    def add_miss(self, network, window):
        table = connection.ops.quote_name(CodeMissCount._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (network, window_start, expires_at, misses)"  # noqa: S608 (our own table name)
                " VALUES (%s, %s, %s, 1) ON CONFLICT (network, window_start)"
                f" DO UPDATE SET misses = {table}.misses + 1 RETURNING misses",
                [network, adapt(_datetime(window.start)), adapt(_datetime(window.end))],
            )
            return cursor.fetchone()[0]

    def check(self):
        with transaction.atomic():
            self.add_miss(PROBE_NETWORK, Window.now())
            self.misses(PROBE_NETWORK, Window.now())
            transaction.set_rollback(True)  # leaves no row behind


class RedisStore:
    """One key per network and window, expiring when the window ends."""

    def __init__(self, url, prefix):
        self.client = _redis_client(url)
        self.prefix = prefix
        parts = urlsplit(url)
        self.where = f"Redis at {parts.hostname}:{parts.port or 6379}{parts.path}"

    def __str__(self):
        return self.where  # never the URL itself: it may hold a password

    def key(self, network, window):
        return f"{self.prefix}:{network}:{window.start}"

    def misses(self, network, window):
        return int(self.client.get(self.key(network, window)) or 0)

    def add_miss(self, network, window):
        key = self.key(network, window)
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expireat(key, window.end)
        count, _ = pipe.execute()
        return count

    def check(self):
        key = self.key(PROBE_NETWORK, Window.now())
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.get(key)
        pipe.delete(key)
        pipe.execute()


@functools.cache
def _redis_client(url):
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _datetime(seconds):
    return datetime.fromtimestamp(seconds, UTC)


def store():
    if settings.REDIS_URL:
        return RedisStore(settings.REDIS_URL, settings.CODE_MISS_KEY_PREFIX)
    return TableStore()


def check_store():
    """Raises StoreUnavailable, saying which store and why, unless the throttle can both
    write and read its counts right now (it leaves no count behind)."""
    current = store()
    try:
        with _guarded():
            current.check()
    except STORE_ERRORS as error:
        raise StoreUnavailable(
            f"The wrong-code throttle cannot read or write {current}: {error}"
        ) from error


def _guarded():
    """Inside a transaction, a savepoint, so a failing store leaves the caller's intact."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _failed(action, network, error):
    log.error(
        "The wrong-code throttle cannot %s %s (%s: %s); letting %s through",
        action,
        store(),
        type(error).__name__,
        error,
        network,
    )
    if isinstance(error, DatabaseError) and not connection.in_atomic_block:
        connection.close()  # a dropped connection goes; the next query draws a checked one


def misses(network):
    try:
        with _guarded():
            return store().misses(network, Window.now())
    except STORE_ERRORS as error:
        _failed("read", network, error)
        return 0


def record_miss(network):
    """Count one wrong code for `network`; returns the count in this window (0 if the store
    failed and the miss could not be counted)."""
    try:
        with _guarded():
            return store().add_miss(network, Window.now())
    except STORE_ERRORS as error:
        _failed("write", network, error)
        return 0


def too_many_resets(request):
    """Password-reset requests count per client network in the same atomic store as wrong
    codes (under a key of their own, so neither limit spends the other's), and are refused
    past LOGIN_FAILURE_LIMIT in a window: a mailbox cannot be flooded from one place, on
    any number of servers."""
    return record_miss(f"reset {client_network(request)}") > settings.AXES_FAILURE_LIMIT


def is_blocked(network):
    return misses(network) >= settings.CODE_MISS_LIMIT


@dataclass(frozen=True)
class Wait:
    """How long a network over the limit waits: the rest of the window."""

    seconds: int

    @classmethod
    def now(cls):
        return cls(math.ceil(Window.now().seconds_left()))

    @property
    def minutes(self):
        return max(1, math.ceil(self.seconds / 60))

    def message(self):
        """The one sentence every door (page or API) answers with."""
        return ngettext(
            "Many wrong upload links or verification codes came from your network in the last "
            "few minutes, so codes cannot be checked from here for about %(minutes)d minute. "
            "Please try again after that.",
            "Many wrong upload links or verification codes came from your network in the last "
            "few minutes, so codes cannot be checked from here for about %(minutes)d minutes. "
            "Please try again after that.",
            self.minutes,
        ) % {"minutes": self.minutes}


class TooManyMisses(Exception):
    """The client's network is over the limit: each door answers 429 in its own form,
    with `wait`'s sentence and Retry-After."""

    def __init__(self):
        super().__init__()
        self.wait = Wait.now()


def is_miss(outcome):
    """A wrong code: a 404, raised or answered."""
    return isinstance(outcome, Http404) or getattr(outcome, "status_code", None) == 404


def guard(request, answer, missed=is_miss):
    """`answer()`, the view's answer, unless the client's network is over the limit
    (TooManyMisses before the view runs, so before any body is read). Each miss (`missed`,
    raised or answered) counts; the miss that takes the network over the limit raises
    TooManyMisses too (misses racing in at once each get their own count)."""
    network = client_network(request)
    if is_blocked(network):
        raise TooManyMisses
    try:
        response = answer()
    except Exception as error:
        if missed(error) and record_miss(network) > settings.CODE_MISS_LIMIT:
            raise TooManyMisses from None
        raise
    if missed(response) and record_miss(network) > settings.CODE_MISS_LIMIT:
        raise TooManyMisses
    return response


def too_many(request, wait):
    response = render(request, "429.html", {"message": wait.message()}, status=429)
    response["Retry-After"] = str(wait.seconds)
    return response


def code_page(view):
    """
    For a public view whose URL names a secret code: refuse it while the client's network
    is over the limit, count a 404 (however it came about) as a miss, and keep the URL out
    of the Referer header of anything the page links to or loads.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        request.sends_no_referrer = True  # base.html: forms posted from here carry Origin: null
        try:
            response = guard(request, lambda: view(request, *args, **kwargs))
        except TooManyMisses as refusal:
            response = too_many(request, refusal.wait)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper

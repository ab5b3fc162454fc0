"""
Slowing down guessers. On the public pages a code is the only lock, so every wrong code
(unknown or malformed) is counted per client network; once a network has made
CODE_MISS_LIMIT misses in a window, every code page answers 429 until the window ends, and
the answer says nothing about the code. Right codes never count: hundreds of students
behind one campus NAT address are never slowed down.

The counters live in Django's cache, which settings point at Redis or the database so that
every process and machine shares them. Windows are aligned to the clock, one key each.
"""

import functools
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import render
from redis.exceptions import RedisError

from depository.clientip import client_network

log = logging.getLogger(__name__)

# A cache that cannot be reached must not stop uploads during an exam: the throttle then
# lets requests through (the codes themselves carry 60 to 192 random bits) and says so.
CACHE_ERRORS = (RedisError, DatabaseError, OSError)


def _window(now=None):
    """This window's number and the seconds until it ends."""
    now = time.time() if now is None else now
    number = int(now // settings.CODE_MISS_WINDOW)
    return number, (number + 1) * settings.CODE_MISS_WINDOW - now


def _key(network, number):
    return f"code-misses:{network}:{number}"


def misses(network):
    number, _ = _window()
    try:
        return cache.get(_key(network, number), 0)
    except CACHE_ERRORS:
        log.warning("The code throttle cannot read its cache; letting %s through", network)
        return 0


def record_miss(network):
    """Count one wrong code for `network`; returns the count in this window."""
    number, _ = _window()
    key = _key(network, number)
    try:
        if cache.add(key, 1, timeout=settings.CODE_MISS_WINDOW):
            return 1
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=settings.CODE_MISS_WINDOW)
        return 1
    except CACHE_ERRORS:
        log.warning("The code throttle cannot write its cache; %s was not counted", network)
        return 0


def is_blocked(network):
    return misses(network) >= settings.CODE_MISS_LIMIT


def too_many(request):
    _, seconds_left = _window()
    minutes = max(1, math.ceil(seconds_left / 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(math.ceil(seconds_left))
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
        network = client_network(request)
        if is_blocked(network):
            response = too_many(request)
        else:
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                record_miss(network)
                raise
            if response.status_code == 404:
                record_miss(network)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper

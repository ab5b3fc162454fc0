"""The pages' wrong-code throttle (submissions.throttle) for the API's public endpoints."""

import functools
import math

from django.conf import settings
from django.http import Http404
from django.utils.translation import ngettext

from api.problems import Problem
from depository.clientip import client_network
from submissions import throttle


def seconds_left():
    """Seconds until the throttle's window ends."""
    return throttle.Window.now().seconds_left()


def too_many():
    seconds = math.ceil(seconds_left())
    minutes = max(1, math.ceil(seconds / 60))
    detail = ngettext(
        "Many wrong upload links or verification codes came from your network in the last "
        "few minutes, so codes cannot be checked from here for about %(minutes)d minute. "
        "Please try again after that.",
        "Many wrong upload links or verification codes came from your network in the last "
        "few minutes, so codes cannot be checked from here for about %(minutes)d minutes. "
        "Please try again after that.",
        minutes,
    ) % {"minutes": minutes}
    return Problem(429, detail, code="too_many_wrong_codes", headers={"Retry-After": seconds})


def code_endpoint(view):
    """For a public endpoint whose path names a secret code, as code_page is for a page:
    refuse it while the client's network is over the limit (before any body is read), and
    count every 404 as a miss. Right codes never count."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        network = client_network(request)
        if throttle.is_blocked(network):
            raise too_many()
        try:
            return view(request, *args, **kwargs)
        except (Http404, Problem) as error:
            # As the pages do: the miss that takes the network over the limit is a 429 too.
            missed = getattr(error, "status", 404) == 404
            if missed and throttle.record_miss(network) > settings.CODE_MISS_LIMIT:
                raise too_many() from None
            raise

    return wrapper

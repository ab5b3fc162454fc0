"""The pages' wrong-code throttle (submissions.throttle) for the API's public endpoints: the
same rule and the same sentence, answered as a problem."""

import functools

from api.problems import Problem
from submissions import throttle


def too_many(wait):
    return Problem(
        429, wait.message(), code="too_many_wrong_codes", headers={"Retry-After": wait.seconds}
    )


def missed(outcome):
    """A wrong code, as the pages count it, or the API's own 404 problem."""
    return throttle.is_miss(outcome) or (isinstance(outcome, Problem) and outcome.status == 404)


def code_endpoint(view):
    """For a public endpoint whose path names a secret code, as code_page is for a page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return throttle.guard(request, lambda: view(request, *args, **kwargs), missed)
        except throttle.TooManyMisses as refusal:
            raise too_many(refusal.wait) from None

    return wrapper

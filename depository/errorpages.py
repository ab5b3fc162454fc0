"""
The product's own 404 and 500 pages on the public side (students' upload pages, receipts,
the verification lookup, download links), even under DEBUG. Django's debug pages would
show a newcomer, or anyone their development server is shown to, the URL list and the
settings, and not what a student sees. The examiner's pages keep Django's debug pages.
"""

import logging

from django.conf import settings
from django.http import Http404
from django.views import defaults

from submissions.urls import urlpatterns as public_routes

log = logging.getLogger("django.request")

# "/u/", "/verify/", "/files/": the first segment of every public route.
PUBLIC_PREFIXES = tuple({f"/{str(route.pattern).split('/')[0]}/" for route in public_routes})


def is_public(request):
    return request.path.startswith(PUBLIC_PREFIXES)


class PublicErrorPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A path no route matches never reaches process_exception.
        unrouted = getattr(request, "resolver_match", None) is None
        if settings.DEBUG and response.status_code == 404 and unrouted and is_public(request):
            return defaults.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if not (settings.DEBUG and is_public(request)):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        # Logged as Django logs a server error; the page says nothing of it.
        log.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=(type(exception), exception, exception.__traceback__),
            extra={"status_code": 500, "request": request},
        )
        return defaults.server_error(request)

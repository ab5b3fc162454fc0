"""
The product's own 404 and 500 pages on the public side (students' upload pages, receipts,
the verification lookup, download links), even under DEBUG. Django's debug pages would
show a newcomer, or anyone their development server is shown to, the URL list and the
settings, and not what a student sees. The examiner's pages keep Django's debug pages.

And the page for a body past FILE_UPLOAD_HARD_LIMIT, which nginx refuses unread and asks
this app for instead of showing its own (depository/serve.py), and the one for a request
nginx failed itself (a body it could not keep).
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from students import codes
from students.filetypes import too_large_message
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


NOTHING_RECEIVED = gettext_lazy(
    "No exam here accepts a file that large, so nothing was received and no upload was "
    "used. Anything you submitted before is unchanged."
)


@require_safe
@never_cache
def too_large(request, api_answer=None):
    """What nginx shows for a body past its client_max_body_size: it asks for this, without
    the body, with the URI the client asked for in X-Original-URI. Anyone may open it: the
    header only tells an API call from a page, and names an upload page to link back to.
    A call to the API gets `api_answer(path)`, the API's own (wired in depository/urls.py)."""
    path = original_path(request)
    if path.startswith("/api/") and api_answer:
        return api_answer(path)
    request.sends_no_referrer = True  # base.html: forms posted from here carry Origin: null
    context = {
        "size": too_large_message(None, settings.FILE_UPLOAD_HARD_LIMIT),
        "nothing_received": NOTHING_RECEIVED,
        "upload_url": upload_page(path),
    }
    response = render(request, "413.html", context, status=413)
    # The browser shows the page at the URL it posted to, which may carry an upload code.
    response["Referrer-Policy"] = "no-referrer"
    return response


NOT_RECEIVED = gettext_lazy(
    "Our server could not take in your file just now, so nothing was stored and no upload "
    "was used. Anything you submitted before is unchanged. Please try again in a few minutes."
)


@require_safe
@never_cache
def not_received(request, api_answer=None):
    """What nginx shows when it failed a request itself (500): its temporary file for the
    body could not be written, so the app never saw it. Asked for as too_large is; 503
    with Retry-After, since trying again later is all there is to do. A call to the API
    gets `api_answer(path)`, the API's own (wired in depository/urls.py)."""
    path = original_path(request)
    if path.startswith("/api/") and api_answer:
        response = api_answer(path)
    else:
        request.sends_no_referrer = True
        context = {"nothing_received": NOT_RECEIVED, "upload_url": upload_page(path)}
        response = render(request, "503_not_received.html", context, status=503)
        response["Referrer-Policy"] = "no-referrer"
    response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response


def original_path(request):
    """The path X-Original-URI names when it is a path on this site ("/u/…/"), else ""."""
    try:
        uri = urlsplit(request.headers.get("X-Original-URI", ""))
    except ValueError:
        return ""
    if uri.scheme or uri.netloc or not uri.path.startswith("/"):
        return ""
    return uri.path


def upload_page(path):
    """The upload page `path` is, rebuilt from its code (nothing else of the header is
    echoed); None for any other path. The code is not looked up: this page must not tell
    a guesser which codes exist."""
    match = resolve_path(path)
    if match is None or match.view_name != "submissions:upload":
        return None
    code = match.kwargs["upload_code"]
    return reverse("submissions:upload", args=[code]) if codes.is_upload_code(code) else None


def resolve_path(path):
    try:
        return resolve(path) if path else None
    except Resolver404:
        return None

"""
Logs an operator can read by machine and a student's secrets never reach.

In production every log line is one JSON object (settings.LOGGING). The request log adds
one line per request: method, route name, status, duration, request id and client
network. It names the route, never the path: paths carry upload codes, verification codes
and download tokens. As a second guard, every line goes through `Redact`, which masks the
code part of such paths and every query string (the verification form's code, a presigned
URL's signature) wherever it appears, and every email address.
"""

import contextvars
import logging
import re
import time
import uuid

from django.conf import settings
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from depository.clientip import client_network

log = logging.getLogger("depository.requests")

request_id = contextvars.ContextVar("request_id", default=None)

# Fly's proxy names each request; elsewhere the header is not ours to trust.
FLY_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def route_name(request):
    match = getattr(request, "resolver_match", None)
    if match is not None:
        # An API operation names itself: its path's URL pattern is named after another
        # method's (api.openapi.names_its_operation).
        operation = getattr(request, "operation_name", None)
        return f"{match.namespace}:{operation}" if operation else match.view_name
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return None  # no route matched: a 404, or a redirect before routing


def _request_id(request):
    given = request.headers.get("Fly-Request-Id", "") if settings.BEHIND_FLY_PROXY else ""
    return given if FLY_REQUEST_ID.match(given) else uuid.uuid4().hex


def request_log(get_response):
    """One line per request, after its response is ready (a streamed body may still be
    on its way). Outermost, so it sees every response, redirects and 404s included."""

    def middleware(request):
        started = time.perf_counter()
        token = request_id.set(_request_id(request))
        try:
            response = get_response(request)
            response["X-Request-Id"] = request_id.get()
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "route": route_name(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "client_network": client_network(request),
                },
            )
            return response
        finally:
            request_id.reset(token)

    return middleware


class RequestContext(logging.Filter):
    """Gives every line logged while a request is handled that request's id."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


# Paths whose segments after the prefix are secrets (the pages' and the API's codes, the
# password reset's and the invitation's tokens), and any query string.
SECRET_PATH = re.compile(
    r"(/(?:u|verify|files|api/v\d+/(?:uploads|verifications|submissions)"
    r"|accounts/(?:reset|invitation))/)(?!\?)(?![^\s\"'?#]*\.py\b)[^\s\"'?#]+"
)  # (not a source file in a traceback: .../django/core/files/storage/base.py)
QUERY = re.compile(r"\?\S*")
# An email address is personal data: a mail server's refusal often repeats the recipient's.
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASK = "[redacted]"


def redact(text, request=None):
    if request is not None and hasattr(request, "get_full_path"):
        route = route_name(request) or "unrouted"
        text = text.replace(request.get_full_path(), f"<{route}>")
        text = text.replace(request.path, f"<{route}>")
    text = ADDRESS.sub("[address]", text)
    return QUERY.sub(f"?{MASK}", SECRET_PATH.sub(rf"\1{MASK}", text))


class Redact(logging.Filter):
    """Masks secrets in a line's message, however it was logged. Django's own request
    logger writes "Not Found: <path>" for every 404 and 429, with the code in the path."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message, getattr(record, "request", None))
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonLines(JsonFormatter):
    """One JSON object per line: time, level, logger, message, then the line's own fields.
    Django attaches the request object to some lines; its text names the path, so it is
    never written out (Redact has already masked the path in the message)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__("%(levelname)s %(name)s %(message)s", **kwargs)

    def formatException(self, exc_info):  # noqa: N802 (logging's name)
        """A traceback's last line is the error's own text, which may name a path or an
        address (a mail server's refusal): masked as the message is."""
        return redact(super().formatException(exc_info))

"""
Every API error as an RFC 9457 problem details document (`application/problem+json`):
`type`, `title`, `status`, `detail` (the same human message the pages show) and, where it
helps a script, a machine-readable `code` and per-field or per-row `errors`.
"""

import json
import logging
from http import HTTPStatus

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from depository.logs import route_name
from depository.storage import StorageUnavailable
from students.models import ExamArchived

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem details document."""

    def __init__(self, status, detail, *, code=None, headers=None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = str(detail)
        self.code = code
        self.headers = headers or {}
        self.extra = extra

    def response(self):
        body = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        if self.code:
            body["code"] = self.code
        body.update(self.extra)
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder), status=self.status, content_type=CONTENT_TYPE
        )
        for name, value in self.headers.items():
            response[name] = value
        return response


class FieldError(Schema):
    field: str
    message: str


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    code: str | None = None
    errors: list[FieldError] | None = None


def not_found():
    return Problem(404, _("Not found."), code="not_found")


def unauthorized():
    return Problem(
        401,
        _("Send a valid API token: Authorization: Bearer <token>."),
        code="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def body_too_large(limit):
    detail = _("The request body is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
    return Problem(413, detail, code="body_too_large")


# How long a client should wait before trying again while the database or the storage is
# away (a restart, a failover): the pages say the same (depository.urls.server_error).
RETRY_AFTER_SECONDS = settings.RETRY_AFTER_SECONDS


def unavailable(code):
    """A 503 a script can act on: what is away, and when to try again."""
    if code == "storage_unavailable":
        detail = _(
            "Our file storage is unavailable right now. Nothing was changed. "
            "Please try again in a minute."
        )
    else:
        detail = _(
            "We lost touch with our database for a moment. Nothing was changed. "
            "Please try again in a minute."
        )
    return Problem(503, detail, code=code, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def form_problem(form, status=422):
    """A form's errors as a problem: the first message as `detail`, all of them in `errors`."""
    errors = [
        {"field": field, "message": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]
    return Problem(status, errors[0]["message"], code="invalid", errors=errors)


def _validation_errors(exc):
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        errors.append({"field": ".".join(location) or "body", "message": error.get("msg", "")})
    return errors


def install(api: NinjaAPI):
    """Answer every error of `api` with problem details."""

    @api.exception_handler(Problem)
    def problem(request, exc):
        return exc.response()

    @api.exception_handler(ExamArchived)
    def archived(request, exc):
        # 409, not the dashboard's 403: the token may change this exam, the exam's state
        # (archived) is what stands in the way, and restoring it resolves the conflict.
        return Problem(409, str(exc), code="exam_archived").response()

    @api.exception_handler(AuthenticationError)
    def authentication(request, exc):
        return unauthorized().response()

    @api.exception_handler(ValidationError)
    def validation(request, exc):
        errors = _validation_errors(exc)
        detail = _("The request is not valid: %(field)s: %(message)s") % errors[0]
        return Problem(422, detail, code="invalid", errors=errors).response()

    @api.exception_handler(Http404)
    def missing(request, exc):
        return not_found().response()

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return Problem(exc.status_code, str(exc)).response()

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).response()

    @api.exception_handler(Exception)
    def server_error(request, exc):
        return _server_error(request, exc).response()


def _server_error(request, exc):
    """A part away (the database, the storage) is a 503 to retry; anything else a bug. Logged
    by the route's name: the path may carry an upload or a verification code."""
    route = route_name(request) or "unrouted"
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning(
            "API request %s %s: the database is unavailable: %r", request.method, route, exc
        )
        return unavailable("database_unavailable")
    # Not every OSError: a client that went away mid-body raises one too.
    if isinstance(exc, StorageUnavailable | BotoCoreError | ClientError):
        log.warning("API request %s %s: the storage is unavailable: %r", request.method, route, exc)
        return unavailable("storage_unavailable")
    log.exception("API request %s %s failed", request.method, route)
    return Problem(500, _("Something went wrong on our side. Please try again."))


def problem_content_types(schema):
    """The OpenAPI document as ninja builds it says every response is application/json;
    ours are problem+json from 400 on. Rewrite those, so the schema tells the truth."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if 503 not in responses and "503" not in responses:  # any, while a part is away
                responses[503] = {
                    "description": "Service Unavailable",
                    "content": {
                        CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
                    },
                }
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    content[CONTENT_TYPE] = content.pop("application/json")
                elif "text/csv" in content:  # a file, not JSON
                    content.pop("application/json", None)
    return schema

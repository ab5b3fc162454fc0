"""`Authorization: Bearer <token>` for the examiner's endpoints."""

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from api.models import ApiToken
from api.problems import Problem


class BearerToken(HttpBearer):
    """An examiner's API token. Unlike ninja's own HttpBearer, never writes the header to
    a log, whatever the scheme or DEBUG: a token must not appear in logs."""

    def __call__(self, request):
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        row = ApiToken.objects.for_token(token)
        if row is None:
            return None
        row.record_use()
        return row


bearer = BearerToken()


def require_write(request):
    """403 for a read-only token on an endpoint that changes something."""
    if not request.auth.allows_writes():
        raise Problem(
            403,
            _("This token may only read. Create a read-write token to make changes."),
            code="read_only_token",
        )


def require_unbound(request):
    if request.auth.is_bound():
        raise Problem(
            403,
            _("This token is bound to one exam, so it cannot create exams."),
            code="token_bound_to_exam",
        )

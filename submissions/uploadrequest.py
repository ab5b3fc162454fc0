"""What an upload request's headers decide before its body is read: whether the body can be
read at all, and when the upload started. The upload page calls these first; so must any
other way in (a script's API), so that every upload is judged the same."""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

LENGTH_REQUIRED = _(
    "Your upload could not be read: the request did not say how large it is (it was sent "
    "in chunks). Nothing was stored and no upload was used; your earlier submission is "
    "intact. Please upload the file again from a web browser."
)

# Set by the front proxy (depository/serve.py): the seconds since the request's first byte
# reached it. The proxy passes a request on only once its whole body has arrived.
ELAPSED_HEADER = "HTTP_X_REQUEST_ELAPSED"


def unreadable_body(request):
    """Why (for a 411) a post whose body length is not declared cannot be read, else None.

    Without Content-Length (a body sent with `Transfer-Encoding: chunked`) Django reads the
    body as empty, so the upload would look like a form without a file. Nothing of such a
    body is read, stored or counted."""
    if request.method == "POST" and not request.META.get("CONTENT_LENGTH"):
        return LENGTH_REQUIRED
    return None


def started_at(request):
    """When the upload started: when its first byte reached the front proxy, if the app is
    configured to sit behind it (BEHIND_BUFFERING_PROXY), since that proxy hands the app a
    request only after its last byte; else now, when the app sees the request's head."""
    now = timezone.now()
    if not settings.BEHIND_BUFFERING_PROXY:
        return now
    header = request.META.get(ELAPSED_HEADER)
    try:
        elapsed = float(header)
    except (TypeError, ValueError):
        elapsed = math.nan
    if not (math.isfinite(elapsed) and elapsed >= 0):
        log.warning("The front proxy sent no usable %s: %r", ELAPSED_HEADER, header)
        return now
    return now - timedelta(seconds=elapsed)

"""Upload codes: the secret in a student's personal upload link."""

import re
import secrets


def new_upload_code():
    """A personal upload link's secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


_UPLOAD_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_upload_code(value):
    """Whether `value` could be an upload code at all (so junk never reaches the database)."""
    return bool(_UPLOAD_CODE.match(value))

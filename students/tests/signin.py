"""Signing in as a person does in tests: the password, then an authenticator app's code
computed here by RFC 6238 (not by the library under test)."""

import base64
import hashlib
import hmac
import secrets
import struct
import time

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

PASSWORD = "correct horse battery staple"


def totp_code(secret, at=None):
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def give_totp(user):
    """The user has set up an authenticator app (and so has recovery codes); returns its
    secret."""
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def sign_in(client, user, code=None, password=PASSWORD):
    """The login form, then the second-factor form when `code` is given."""
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    if code is not None:
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response


def sign_in_as_superuser(client, **fields):
    """A superuser signed in as the admin requires: password, then the app's code."""
    from students.tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True, **fields)
    response = sign_in(client, user, totp_code(give_totp(user)))
    assert response.status_code == 302, response
    return user

"""
The site's receipt keys: Ed25519, the private one from RECEIPT_SIGNING_KEY, retired public
ones from RECEIPT_PUBLIC_KEYS. Statements are compact JWS made with joserfc (which reads and
writes JWKs and JWKS, and takes only the algorithm it is told to: no `alg: none`, no HMAC
with a public key). Nothing here touches the database, so `verify_receipt` works without one.

A key is written as its 32 raw bytes in unpadded base64url (43 characters): the private key's
seed in RECEIPT_SIGNING_KEY, public keys in RECEIPT_PUBLIC_KEYS (comma separated). A key's id
is the start of its RFC 7638 thumbprint; its fingerprint is the whole thumbprint.
"""

import base64
import json
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from joserfc import jws
from joserfc.errors import BadSignatureError, DecodeError, JoseError
from joserfc.jwk import OKPKey

ALGORITHM = "Ed25519"  # RFC 9864's name for EdDSA over Ed25519
MEDIA_TYPE = "exam-receipt+jws"  # the header's `typ`
KEY_ID_LENGTH = 16  # characters of the thumbprint: 96 bits
NOT_A_JWS = "This is not a signed statement (a compact JWS)."


class BadKey(ValueError):
    """A key in the settings cannot be read."""


class Invalid(Exception):
    """A statement that does not verify; the message says why, for a person to read."""

    def __init__(self, message, reason, kid=""):
        super().__init__(message)
        self.reason = reason
        self.kid = kid


def new_private_key():
    """A fresh key for RECEIPT_SIGNING_KEY."""
    return _b64(secrets.token_bytes(32))


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(text, what):
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BadKey(f"{what} is not a key: expected 43 base64url characters (32 bytes).")
    return raw


def load_private_key(seed):
    raw = Ed25519PrivateKey.from_private_bytes(_raw(seed, "RECEIPT_SIGNING_KEY"))
    return OKPKey.import_key(raw)


def _public_key(text):
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": text.strip()})


def key_id(key):
    return key.thumbprint()[:KEY_ID_LENGTH]


def fingerprint(key):
    """The key's SHA-256 JWK thumbprint (RFC 7638), as `receipt_keys` prints it."""
    return key.thumbprint()


def public_part(key):
    return key.as_dict(private=False)["x"]


@lru_cache(maxsize=8)
def _keys(signing, retired):
    private = load_private_key(signing)
    public = [_public_key(private.as_dict(private=False)["x"])]
    for text in retired:
        _raw(text, "A key in RECEIPT_PUBLIC_KEYS")
        key = _public_key(text)
        if key_id(key) not in {key_id(k) for k in public}:
            public.append(key)
    return private, tuple(public)


def _settings_keys():
    return _keys(settings.RECEIPT_SIGNING_KEY, tuple(settings.RECEIPT_PUBLIC_KEYS))


def signing_key():
    return _settings_keys()[0]


def published_keys():
    """The public keys a receipt may be signed with: the signing key's first, then the
    retired ones, so old receipts keep verifying after a rotation."""
    return list(_settings_keys()[1])


def jwks(keys=None):
    """The published keys as a JWK Set (RFC 7517), each with its id, algorithm and use."""
    keys = published_keys() if keys is None else keys
    return {
        "keys": [
            {**key.as_dict(private=False), "kid": key_id(key), "alg": ALGORITHM, "use": "sig"}
            for key in keys
        ]
    }


def keys_from_jwks(data):
    """The Ed25519 keys of a JWK Set (as the site publishes it), by their own ids."""
    try:
        found = [
            _public_key(entry["x"])
            for entry in data["keys"]
            if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519"
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise BadKey(f"Not a JWK Set of Ed25519 keys: {error}") from error
    return found


def sign(claims):
    """The compact JWS of `claims` (a dict), signed with the current key."""
    key = signing_key()
    header = {"alg": ALGORITHM, "kid": key_id(key), "typ": MEDIA_TYPE}
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return jws.serialize_compact(header, payload.encode(), key, algorithms=[ALGORITHM])


def _part(token, index):
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_of(token):
    """The claims of a statement we signed and stored ourselves, read without checking."""
    return _part(token, 1)


def header_of(token):
    """The JWS's protected header, unverified (for its key id)."""
    try:
        return _part(token, 0)
    except (ValueError, AttributeError, IndexError) as error:
        raise Invalid(NOT_A_JWS, "malformed") from error


def verify(token, keys=None):
    """The claims of `token` once its signature checks out with one of `keys` (default: the
    published keys), chosen by the header's key id; otherwise Invalid, saying why."""
    keys = published_keys() if keys is None else keys
    header = header_of(token)
    kid = header.get("kid") if isinstance(header, dict) else None
    kid = kid if isinstance(kid, str) else None
    by_id = {key_id(key): key for key in keys}
    if kid not in by_id:
        known = ", ".join(by_id) or "none"
        raise Invalid(
            f"This receipt was signed with key {kid}, which is not one of the published keys "
            f"({known}).",
            "unknown_key",
            str(kid or ""),
        )
    if header.get("alg") != ALGORITHM:
        raise Invalid(f"This receipt names the algorithm {header.get('alg')!r}.", "algorithm", kid)
    try:
        compact = jws.deserialize_compact(token, by_id[kid], algorithms=[ALGORITHM])
    except BadSignatureError as error:
        raise Invalid(
            f"The signature does not match key {kid}: the signed statement was changed, or "
            "signed by another key.",
            "signature",
            kid,
        ) from error
    except (DecodeError, JoseError, ValueError) as error:
        raise Invalid(NOT_A_JWS, "malformed", kid) from error
    try:
        claims = json.loads(compact.payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise Invalid("The signed statement is not a JSON object.", "malformed", kid)
    return kid, claims

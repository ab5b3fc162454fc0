"""
The offline receipt checker: one HTML file holding the site's published keys, its words in
the visitor's language, and the script that checks a receipt (with WebCrypto's Ed25519, or
the vendored noble-ed25519 where a browser has none). Its own Content Security Policy lets
it run only its own inline script and style, and reach no network at all.
"""

import base64
import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from submissions import receipts, signing

HERE = Path(__file__).resolve().parent


@cache
def _source(name):
    return (HERE / name).read_text()


def _csp_hash(text):
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def site_name():
    return urlsplit(settings.SITE_URL).netloc or settings.SITE_URL


def filename():
    return f"receipt-checker-{site_name().replace(':', '-')}-{get_language() or 'en'}.html"


def words():
    """What the script says, in the active language (it has no catalog of its own)."""
    return {
        **{name: str(text) for name, text in receipts.MESSAGES.items()},
        "yes": _("yes"),
        "no": _("no"),
        "no_file": _("Add the answer file to check that it is the one on the receipt."),
        "signed_facts": _("What the signed statement says"),
        "choose_receipt": _("Please choose the receipt file (.json) to check."),
        "no_crypto": _(
            "This browser cannot check signatures on this page: open the saved file from "
            "your disk (its address starts with file://), in a current browser."
        ),
    }


def page(request=None):
    keys = signing.published_keys()
    script = (
        _source("vendor/noble-ed25519.js").replace("\nexport {", "\n// export {")
        + "\n"
        + _source("checker.js")
    )
    style = _source("checker.css")
    data = {
        "site": settings.SITE_URL,
        "site_name": site_name(),
        "keys": [{"kid": signing.key_id(key), "x": signing.public_part(key)} for key in keys],
        "labels": {name: str(label) for name, label in receipts.FACT_LABELS.items()},
        "words": words(),
    }
    context = {
        "data": data,
        "script": script,
        "style": style,
        "script_hash": _csp_hash(script),
        "style_hash": _csp_hash(style),
        "site_name": site_name(),
        "site_url": settings.SITE_URL,
        "jwks_url": settings.SITE_URL + reverse("jwks"),
        "keys": [
            {"kid": signing.key_id(key), "fingerprint": signing.fingerprint(key)} for key in keys
        ],
    }
    return render_to_string("submissions/checker.html", context, request=request)

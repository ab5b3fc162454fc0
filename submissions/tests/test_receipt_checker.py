"""The offline checker: one HTML file to save, holding the keys, its words and its script,
and allowed by its own Content Security Policy to reach no network."""

import base64
import hashlib
import json
import re

import pytest

from submissions import signing

pytestmark = pytest.mark.django_db


def checker(client, **headers):
    response = client.get("/verify/checker/", **headers)
    assert response.status_code == 200
    return response, response.content.decode()


def test_it_is_a_download_of_one_html_file(client, settings):
    settings.SITE_URL = "https://exam-depository.fly.dev"

    response, _page = checker(client)

    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="receipt-checker-exam-depository.fly.dev-en.html"'
    )


def test_it_holds_every_published_key(client, settings):
    retired = signing.public_part(signing.load_private_key(signing.new_private_key()))
    settings.RECEIPT_PUBLIC_KEYS = [retired]

    _response, page = checker(client)

    data = json.loads(re.search(r'id="checker-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert [key["x"] for key in data["keys"]] == [
        signing.public_part(signing.signing_key()),
        retired,
    ]
    assert data["site"] == settings.SITE_URL
    for key in signing.published_keys():
        assert signing.fingerprint(key) in page


def test_its_own_policy_allows_its_inline_script_and_style_and_no_network(client):
    _response, page = checker(client)

    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert policy.startswith("default-src 'none';")
    assert "connect-src" not in policy  # default-src 'none' covers it
    script = re.search(r'<script type="module">(.*?)</script>', page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    for text in (script, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "verifyAsync" in script  # the vendored noble-ed25519, for browsers without WebCrypto's


def test_it_speaks_the_visitors_language(client):
    _response, page = checker(client, HTTP_ACCEPT_LANGUAGE="de")

    assert '<html lang="de">' in page
    assert "Signierte Eingangsbestätigung prüfen" in page
    data = json.loads(re.search(r'id="checker-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["words"]["valid"] == "Gültig: signiert von %(site)s mit Schlüssel %(kid)s."
    assert data["labels"]["size"] == "Größe in Bytes"

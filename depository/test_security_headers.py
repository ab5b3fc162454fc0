import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"

pytestmark = pytest.mark.django_db


def test_it_redirects_http_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("submissions:verify"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/verify/"


def test_it_sends_hsts_over_https(client):
    response = client.get(reverse("home"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_cookies_are_secure_and_http_only(client, examiner):
    client.get(reverse("login"), secure=True)
    response = client.post(
        reverse("login"),
        {"username": examiner.username, "password": "correct horse battery staple"},
        secure=True,
    )

    assert response.status_code == 302
    for name in ["sessionid", "csrftoken"]:
        cookie = response.cookies.get(name) or client.cookies[name]
        assert cookie["secure"] and cookie["httponly"], name
    assert response.cookies["sessionid"]["samesite"] == "Lax"


@pytest.mark.parametrize("url", ["/", "/verify/", "/accounts/login/", "/u/nope/"])
def test_every_page_forbids_sniffing_and_framing(client, url):
    response = client.get(url)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_every_page_has_a_content_security_policy_without_inline_script(client, student):
    for url in ["/", "/verify/", "/accounts/login/", student.get_upload_url()]:
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in client.get(url)["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'", url
        assert policy["default-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url
        assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy), url


# The offline receipt checker is one file a visitor saves and opens from disk, never a page
# of the site: its script is inline, allowed by its own policy by hash (submissions.checker).
SAVED_FILES = {"submissions/checker.html"}


def test_no_template_has_inline_script():
    """The policy would block it: scripts come from static files only."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        if str(path.relative_to(TEMPLATES)) not in SAVED_FILES
        for match in inline.finditer(path.read_text())
    ]

    assert offenders == []

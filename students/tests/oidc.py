"""A real OpenID Connect provider for the sign-in tests: oidc-provider (students/tests/
oidc_provider, installed by `npm ci`) run with node on a free loopback port, and a person's
steps on its own sign-in page, taken over HTTP."""

import json
import os
import re
import shutil
import subprocess
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

HERE = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "exam-depository"
CLIENT_SECRET = "a-test-client-secret"
START_SECONDS = 20


class ProviderMissing(RuntimeError):
    pass


class OIDCProvider:
    """One provider process; `issuer` is its URL. ACCOUNTS maps login names to claims."""

    def __init__(self, accounts, redirect_uris):
        node = shutil.which("node")
        if node is None:
            raise ProviderMissing("node is not installed (apt-get install nodejs npm)")
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise ProviderMissing(f"oidc-provider is not installed: npm ci --prefix {HERE}")
        env = {
            **os.environ,
            "ACCOUNTS": json.dumps(accounts),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": ",".join(redirect_uris),
        }
        self.process = subprocess.Popen(
            [node, str(HERE / "server.mjs")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.issuer = self._wait_until_ready()

    def _wait_until_ready(self):
        lines = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()))
        reader.start()
        reader.join(START_SECONDS)
        if not lines or not lines[0].startswith("ready "):
            self.stop()
            raise RuntimeError(f"The OpenID Connect provider did not start: {lines}")
        return lines[0].split()[1]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def sign_in_at_provider(authorize_url, login, callback_prefix):
    """Signs in as `login` on the provider's page, as a browser would, and returns the URL it
    sends the browser back to (the app's callback, with the code)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if not response.is_redirect:
            response = _submit_sign_in_form(browser, url, response.text, login)
        url = urljoin(url, response.headers["Location"])
        if url.startswith(callback_prefix):
            return url
    raise AssertionError("The provider never sent the browser back")


def _submit_sign_in_form(browser, url, page, login):
    action = FORM_ACTION.search(page)
    assert action, f"no sign-in form at {url}: {page[:500]}"
    fields = {**dict(HIDDEN_INPUT.findall(page)), "login": login, "password": "any"}
    target = urljoin(url, unescape(action.group(1)))
    response = browser.post(target, data=fields, allow_redirects=False, timeout=10)
    assert response.is_redirect, response.text[:500]
    return response

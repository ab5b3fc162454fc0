"""
End-to-end journeys in a real Chromium against pytest-django's live server.

Playwright drives the system's Chromium (Debian's `chromium` package): Playwright's own
browser download is not used. Without a Chromium the journeys skip with a reason locally;
in CI they fail instead.
"""

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach update and sync services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev requirements install it
    sync_playwright = None


def find_chromium():
    candidates = [
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("google-chrome"),
    ]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def _unavailable(reason):
    if IN_CI:
        pytest.fail(f"CI must run the browser journeys: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the journeys in this package, gone before any other test runs."""
    if sync_playwright is None:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    executable = find_chromium()
    if executable is None:
        _unavailable("no Chromium found: install it (apt-get install chromium) or set CHROMIUM")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop running in this thread, so Django would
        # refuse the tests' plain synchronous database calls. Allowed here, and only here:
        # the variable must not leak into other tests (manage.py check --deploy flags it).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def plain_http_cookies(settings):
    """The live server speaks plain HTTP on loopback; secure-only cookies would not come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


class Pages:
    """Opens browser pages on the live server and watches each for what must never happen:
    a request to another host (no CDN), a Content Security Policy violation, a script error,
    a 404 for anything a page loads (a stylesheet, a script, the favicon). A journey whose
    page sends files straight to storage allows the storage's origin (`allow`)."""

    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.hosts = [base_url, "data:", "blob:"]
        self.contexts = []
        self.problems = []

    def allow(self, origin):
        self.hosts.append(f"{origin}/")

    def new(self, **options):
        options.setdefault("viewport", {"width": 1100, "height": 800})
        context = self.browser.new_context(base_url=self.base_url, accept_downloads=True, **options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        return page

    def _request(self, request):
        url = request.url
        if not url.startswith(tuple(self.hosts)):
            self.problems.append(f"request to another host: {url}")

    def _response(self, response):
        if response.status == 404 and response.request.resource_type != "document":
            self.problems.append(f"404 for {response.request.resource_type}: {response.url}")

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or (message.type == "error" and "Refused" in text):
            self.problems.append(f"CSP violation: {text}")

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server):
    pages = Pages(browser, live_server.url)
    yield pages
    pages.close()
    assert not pages.problems, "\n".join(pages.problems)


@pytest.fixture
def page(pages):
    return pages.new()

"""A real Chromium PUTs an answer file's bytes straight to the bucket through a presigned URL,
as the two-step upload's page does, from SITE_URL's origin: it does once `manage.py
storage_cors --apply` set the bucket's rule, and refuses to without it. The bucket is moto's
server without its blanket CORS layer (submissions.tests.storage_servers), which answers the
browser's preflight from the bucket's rules; the page is a blank one of a loopback server
standing for the site's origin (the app's own pages would add their Content Security
Policy, which is the upload page's business, not the bucket's)."""

import http.server
import threading

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from submissions.tests.storage_servers import MotoProcess, presigned_put

BODY = "%PDF-1.7 answers"
KEY = "submissions/0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def moto_server():
    server = MotoProcess()
    yield server, server.endpoint
    server.stop()


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Site</title>")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The site's origin: a loopback server of blank pages, on another port than storage."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def browser_put(browser, site, s3):
    """What the upload page does with a presigned PUT URL; the answer's status and ETag, or
    the browser's error."""
    client = default_storage.connection.meta.client
    url, headers = presigned_put(client, s3.bucket, KEY, BODY.encode())
    page = browser.new_page()
    try:
        page.goto(f"{site}/exam")
        return page.evaluate(
            """async ([url, headers, body]) => {
              try {
                const answer = await fetch(url, {method: "PUT", headers, body});
                return {status: answer.status, etag: answer.headers.get("ETag")};
              } catch (error) {
                return {error: String(error)};
              }
            }""",
            [url, headers, BODY],
        )
    finally:
        page.close()


def stored(s3):
    listing = s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return [s3.get_object(Bucket=s3.bucket, Key=obj["Key"])["Body"].read() for obj in listing]


def test_the_browser_uploads_once_the_rule_is_set(browser, s3, site, settings):
    settings.SITE_URL = site
    call_command("storage_cors", "--apply", verbosity=0)

    answer = browser_put(browser, site, s3)

    assert answer["status"] == 200, answer
    assert answer["etag"], "the rule exposes the ETag to the page"
    assert stored(s3) == [BODY.encode()]


def test_the_browser_refuses_without_the_rule(browser, s3, site):
    answer = browser_put(browser, site, s3)

    assert answer == {"error": "TypeError: Failed to fetch"}
    assert stored(s3) == []


def test_the_browser_refuses_with_the_rule_for_another_origin(browser, s3, site, settings):
    settings.SITE_URL = "https://depository.test"
    call_command("storage_cors", "--apply", verbosity=0)

    answer = browser_put(browser, site, s3)

    assert answer == {"error": "TypeError: Failed to fetch"}
    assert stored(s3) == []

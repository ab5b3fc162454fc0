"""
The page's two-step upload in a real Chromium: the file's fingerprint fixed first, its bytes
PUT straight to the bucket (moto's server over HTTP, through the presigned URL, across
origins, with the bucket's CORS rule), then checked by the server. A connection cut on the
way loses nothing and counts nothing twice; a student who comes back to the link later can
send the file they fixed, and only that file. Every wait is for the page's own signal (its
form's data-state, the receipt's URL), never for time.

moto's server answers every origin by default (flask-cors, on every response), which would
hide a bucket without a CORS rule; these journeys run it as S3 answers a browser, by the
bucket's own rules (`MOTO_DISABLE_GLOBAL_CORS`).
"""

import hashlib
import re
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import moto.moto_server.werkzeug_app
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from moto.server import ThreadedMotoServer
from playwright.sync_api import expect

from conftest import s3_keys
from e2e.helpers import (
    LANGUAGES,
    PHONE,
    accessibility_violations,
    answer_file,
    record_progress,
    seen_progress,
    shot,
    throttle_uploads,
)
from students import times

DESKTOP = {"width": 1100, "height": 800}
WORDS = {
    "en": {
        "file": "Your answer file",
        "upload": "Upload",
        "instead": "Upload this file instead",
        "dropped": "The connection dropped before the server confirmed your upload.",
        "fixed": "Your file was fixed on",
        "box": "Your file is fixed, but it has not arrived yet",
        "same": "This is the file you fixed",
        "not_same": "“{name}” is not the file you fixed",
        "closed_only": "Uploads are closed, so only the fixed file can still be taken",
        "delivery_only": "Send your fixed file, Ada",
        "received": "We have your file",
    },
    "de": {
        "file": "Ihre Antwortdatei",
        "upload": "Hochladen",
        "instead": "Stattdessen diese Datei hochladen",
        "dropped": "Die Verbindung brach ab, bevor der Server Ihren Upload bestätigt hat.",
        "fixed": "Ihre Datei wurde am",
        "box": "Ihre Datei ist festgehalten, aber noch nicht angekommen",
        "same": "Das ist die Datei, die Sie festgehalten haben",
        "not_same": "„{name}“ ist nicht die Datei, die Sie festgehalten haben",
        "closed_only": "Die Uploads sind geschlossen, daher kann nur noch die festgehaltene Datei",
        "delivery_only": "Senden Sie Ihre festgehaltene Datei, Ada",
        "received": "Ihre Datei ist bei uns angekommen",
    },
}


@pytest.fixture(scope="module")
def moto_server():
    """moto's S3 server (this module's own), answering browsers by the bucket's CORS rules."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(moto.moto_server.werkzeug_app, "DISABLE_GLOBAL_CORS", True)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield server, f"http://{host}:{port}"
        server.stop()


def put_rule(live_server):
    """What the bucket must allow for the page: PUT from the site's origin, with the headers
    the presigned URL signs."""
    return {
        "AllowedOrigins": [live_server.url],
        "AllowedMethods": ["PUT"],
        "AllowedHeaders": ["content-type", "content-disposition", "x-amz-checksum-sha256"],
        "MaxAgeSeconds": 600,
    }


@pytest.fixture
def bucket(s3, live_server, pages):
    """The answers' bucket on moto, taking PUTs from the live server's pages."""
    s3.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [put_rule(live_server)]})
    pages.allow(s3.meta.endpoint_url)
    return s3


@pytest.fixture
def two_step_student(student):
    student.exam.time_zone = "Europe/Berlin"
    student.exam.delivery_minutes = 30
    student.exam.save()
    return student


def requests_of(page):
    """Every request the page makes (Playwright's Request: method, url, sizes())."""
    seen = []
    page.on("request", lambda request: seen.append(request))
    return seen


def body_size(request):
    """How many bytes the request's body had, by the Content-Length the browser sent."""
    return int(request.all_headers().get("content-length", 0))


def step_of(url):
    """The two-step upload's step a URL of the app is for."""
    return next(step for step in ("commit", "deliver", "complete") if f"/{step}/" in url)


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def cut_connections(page, cuts, *, first=None, stage="Request"):
    """Cuts the connection of the page's requests that `cuts(request)` picks (Chromium's
    Fetch domain): of the first `first` of them, or of all while `first` is None. At the
    Request stage nothing reaches the server; at the Response stage the request arrives and
    its answer is lost. Returns the CDP session, its `cut` the URLs cut."""
    cdp = page.context.new_cdp_session(page)
    cut = []

    def paused(event):
        request = event["request"]
        if cuts(request) and (first is None or len(cut) < first):
            cut.append(request["url"])
            cdp.send(
                "Fetch.failRequest",
                {"requestId": event["requestId"], "errorReason": "ConnectionReset"},
            )
        else:
            cdp.send("Fetch.continueRequest", {"requestId": event["requestId"]})

    cdp.on("Fetch.requestPaused", paused)
    cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": stage}]})
    cdp.cut = cut
    return cdp


def cut_puts(page, *, first=None, stage="Request"):
    """cut_connections for the page's PUTs (the bytes on their way to storage)."""
    return cut_connections(
        page, lambda request: request["method"] == "PUT", first=first, stage=stage
    )


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(s3, submission):
    return s3.get_object(Bucket=s3.bucket, Key=submission.file.name)["Body"].read()


def test_the_bytes_go_straight_to_the_bucket(
    pages, live_server, bucket, two_step_student, tmp_path
):
    student = two_step_student
    page = pages.new()
    requests = requests_of(page)
    path = answer_file(tmp_path, 300_000)

    response = page.goto(student.get_upload_url())
    policy = response.headers["content-security-policy"]
    assert f"connect-src 'self' {bucket.meta.endpoint_url}" in policy
    page.get_by_label("Your answer file").set_input_files(path)
    record_progress(page)
    throttle_uploads(page, 100_000)
    page.get_by_role("button", name="Upload").click()
    form = page.locator("#upload-form")
    expect(form).to_have_attribute("data-state", "sending")
    expect(page.locator("#upload-status")).to_have_text("Step 2 of 3: sending answer.pdf…")
    expect(page.locator("#upload-fixed")).to_contain_text("Your file was fixed on")
    expect(page.locator("#upload-progress-text")).to_have_text(re.compile(r"^[1-9]\d?% · "))
    shot(page, "two-step-sending", full_page=True)
    page.wait_for_url("**/receipt/**")
    expect(page.locator("#hash-check")).to_have_attribute("data-match", "yes")
    seen = seen_progress(page)  # the PUT's progress, as the bar showed it
    assert seen[-1] == "100% · 293.0 KB of 293.0 KB", seen
    assert any(not text.startswith(("0%", "100%")) for text in seen), seen

    puts = [request for request in requests if request.method == "PUT"]
    assert len(puts) == 1
    assert origin(puts[0].url) == bucket.meta.endpoint_url != live_server.url
    assert body_size(puts[0]) == 300_000
    to_the_app = [request for request in requests if request.url.startswith(live_server.url)]
    assert {request.method for request in to_the_app} == {"GET", "POST"}
    # The fingerprint went to the app, never the file.
    assert max(body_size(request) for request in to_the_app) < 1_000
    submission = student.submissions.get()
    assert submission.sha256 == sha256(path)
    assert stored(bucket, submission) == path.read_bytes()
    assert s3_keys(bucket) == [submission.file.name]


def test_the_buckets_cors_rule_answers_the_sites_preflight_only(live_server, bucket):
    """What moto's server (as these journeys run it) does with a browser's preflight."""

    def preflight(from_origin):
        request = urllib.request.Request(
            f"{bucket.meta.endpoint_url}/{bucket.bucket}/submissions/x",
            method="OPTIONS",
            headers={
                "Origin": from_origin,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-disposition,content-type,"
                "x-amz-checksum-sha256",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
                return answer.status, answer.headers
        except urllib.error.HTTPError as error:
            return error.code, error.headers

    status, headers = preflight(live_server.url)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == live_server.url
    assert headers["Access-Control-Allow-Methods"] == "PUT"
    assert "x-amz-checksum-sha256" in headers["Access-Control-Allow-Headers"]

    status, headers = preflight("https://elsewhere.example")
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


def test_without_the_buckets_cors_rule_the_browser_sends_nothing(
    pages, s3, two_step_student, tmp_path
):
    """The browser enforces the bucket's CORS rule for real: without it the PUT's preflight
    fails, nothing reaches the bucket, and the page keeps the file to send again."""
    pages.allow(s3.meta.endpoint_url)
    page = pages.new()
    page.goto(two_step_student.get_upload_url())
    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 20_000))
    page.get_by_role("button", name="Upload").click()

    form = page.locator("#upload-form")
    expect(form).to_have_attribute("data-state", "retrying")
    expect(form).to_have_attribute("data-committed", re.compile(".+"))
    assert s3_keys(s3) == []
    assert two_step_student.submissions.count() == 0


def test_a_put_cut_off_is_sent_again_and_counted_once(pages, bucket, two_step_student, tmp_path):
    student = two_step_student
    page = pages.new()
    requests = requests_of(page)
    page.goto(student.get_upload_url())
    cut = cut_puts(page, first=1)
    path = answer_file(tmp_path, 200_000)
    page.get_by_label("Your answer file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url("**/receipt/**")  # sent again by itself, after the backoff
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your file")
    assert len(cut.cut) == 1
    steps = [step_of(r.url) if r.method == "POST" else r.method for r in requests]
    # Fixed again after the cut, for a fresh URL (the same commitment), and sent again.
    assert [step for step in steps if step != "GET"] == [
        "commit",
        "PUT",
        "commit",
        "PUT",
        "complete",
    ]
    student.refresh_from_db()
    assert student.uploads_used == 1
    submission = student.submissions.get()
    assert stored(bucket, submission) == path.read_bytes()
    assert student.commitments.count() == 1


def test_a_lost_answer_to_the_completion_completes_again_once(
    pages, live_server, bucket, two_step_student, tmp_path
):
    """The server records the upload, then the connection drops before its answer reaches
    the page: the page completes again and gets the same receipt."""
    student = two_step_student
    page = pages.new()
    requests = requests_of(page)
    page.goto(student.get_upload_url())
    completions = cut_connections(
        page, lambda request: "/complete/" in request["url"], first=1, stage="Response"
    )
    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 30_000))
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url("**/receipt/**")
    assert len(completions.cut) == 1
    posts = [step_of(r.url) for r in requests if r.method == "POST"]
    assert posts == ["commit", "complete", "complete"]  # completed again, nothing else
    student.refresh_from_db()
    assert student.uploads_used == 1
    assert student.submissions.count() == 1
    code = page.get_by_test_id("verification-code").inner_text()
    assert student.submissions.get().display_code == code


def fix_without_sending(page, words, path):
    """Choose `path` and press Upload with every PUT cut: the page fixes the file, then keeps
    trying to send its bytes. The cut stays until `come_back` (a retry must not get through
    before the page is left)."""
    cdp = cut_puts(page)
    page.get_by_label(words["file"]).set_input_files(path)
    page.get_by_role("button", name=words["upload"], exact=True).click()
    form = page.locator("#upload-form")
    expect(form).to_have_attribute("data-committed", re.compile(".+"))
    expect(form).to_have_attribute("data-state", "retrying")
    expect(page.locator("#upload-retry")).to_contain_text(words["dropped"])
    expect(page.locator("#upload-fixed")).to_contain_text(words["fixed"])
    page.cut = cdp
    return form


def come_back(page, student):
    """The link opened again, later: the page that was sending is gone, and the connection
    is back."""
    page.goto(student.get_upload_url())
    page.cut.send("Fetch.disable")


def in_language(language, value, zone):
    with translation.override(language):
        return times.format_time(value, "long", zone)


def phone_and_desktop_shots(page, name, at="#commitment"):
    """The phone's screen at `at` (a full-page picture would drop the phone's touch
    emulation while it is taken), then the whole page on a desktop's."""
    page.locator(at).scroll_into_view_if_needed()
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    shot(page, f"{name}-desktop", full_page=True)
    page.set_viewport_size(PHONE["viewport"])


@pytest.mark.parametrize("language", ["en", "de"])
def test_coming_back_later_the_page_takes_the_fixed_file(
    pages, bucket, two_step_student, tmp_path, language
):
    student = two_step_student
    words = WORDS[language]
    page = pages.new(**PHONE, **LANGUAGES[language])
    page.goto(student.get_upload_url())
    path = answer_file(tmp_path, 120_000, "Lösung.pdf")
    form = fix_without_sending(page, words, path)
    page.locator("#upload-fixed").scroll_into_view_if_needed()
    shot(page, f"two-step-fixed-{language}")
    commitment = student.commitments.get()

    come_back(page, student)
    box = page.get_by_test_id("commitment")
    expect(box).to_contain_text(words["box"])
    expect(page.get_by_test_id("commitment-file")).to_contain_text("Lösung.pdf")
    expect(page.get_by_test_id("commitment-fingerprint")).to_have_text(f"{commitment.sha256[:16]}…")
    zone = student.exam.zone
    expect(box).to_contain_text(in_language(language, commitment.committed_at, zone))
    expect(page.get_by_test_id("commitment-deliver-by")).to_contain_text(
        in_language(language, commitment.deliver_by, zone)
    )
    assert ("MEZ" if language == "de" else "CET") in box.inner_text()
    phone_and_desktop_shots(page, f"two-step-come-back-{language}")

    field = page.get_by_label(words["file"])
    field.set_input_files(answer_file(tmp_path, 120_000, "Entwurf.pdf"))
    expect(form).to_have_attribute("data-state", "other")
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text(words["not_same"].format(name="Entwurf.pdf"))
    instead = page.get_by_role("button", name=words["instead"])
    expect(instead).to_be_visible()
    instead.scroll_into_view_if_needed()
    shot(page, f"two-step-instead-{language}")
    phone_and_desktop_shots(page, f"two-step-not-the-same-{language}", at="#upload-errors")

    field.set_input_files(path)
    expect(form).to_have_attribute("data-state", "same")
    expect(page.locator("#file-chosen")).to_contain_text(words["same"])
    expect(errors).to_be_empty()
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url("**/receipt/**")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["received"])

    submission = student.submissions.get()
    assert submission.sha256 == commitment.sha256
    assert submission.form_token == commitment.token
    assert stored(bucket, submission) == path.read_bytes()


@pytest.mark.parametrize("language", ["en", "de"])
def test_coming_back_after_uploads_closed_only_the_fixed_file_is_taken(
    pages, bucket, two_step_student, tmp_path, language
):
    student = two_step_student
    words = WORDS[language]
    page = pages.new(**PHONE, **LANGUAGES[language])
    page.goto(student.get_upload_url())
    path = answer_file(tmp_path, 80_000)
    fix_without_sending(page, words, path)
    commitment = student.commitments.get()
    # The due time passes just after the file was fixed.
    student.exam.closes_at = commitment.committed_at + timedelta(milliseconds=1)
    student.exam.save()

    come_back(page, student)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["delivery_only"])
    expect(page.get_by_test_id("delivery-only")).to_be_visible()
    form = page.locator("#upload-form")
    page.get_by_label(words["file"]).set_input_files(answer_file(tmp_path, 80_000, "other.pdf"))
    expect(form).to_have_attribute("data-state", "other")
    expect(page.locator("#upload-errors")).to_contain_text(words["closed_only"])
    expect(page.get_by_role("button", name=words["instead"])).to_have_count(0)
    page.get_by_role("button", name=words["upload"], exact=True).click()
    expect(page.locator("#upload-errors")).to_contain_text(
        words["not_same"].format(name="other.pdf")
    )
    phone_and_desktop_shots(page, f"two-step-closed-{language}", at="#upload-errors")

    page.get_by_label(words["file"]).set_input_files(path)
    expect(form).to_have_attribute("data-state", "same")
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url("**/receipt/**")

    submission = student.submissions.get()
    assert submission.sha256 == sha256(path)
    assert submission.late_by is None  # as of the moment it was fixed, before the due time
    assert submission.accepted_at > student.exam.closes_at


def test_without_javascript_the_page_says_what_was_fixed(pages, bucket, two_step_student, tmp_path):
    student = two_step_student
    page = pages.new()
    page.goto(student.get_upload_url())
    fix_without_sending(page, WORDS["en"], answer_file(tmp_path, 50_000))
    page.close()  # its retries stop

    plain = pages.new(java_script_enabled=False)
    plain.goto(student.get_upload_url())
    box = plain.get_by_test_id("commitment")
    expect(box).to_contain_text("answer.pdf")
    expect(box).to_contain_text("Sending this file needs JavaScript")
    expect(box).to_contain_text("You can still upload a file with the form below")
    shot(plain, "two-step-come-back-no-js", full_page=True)
    other = answer_file(tmp_path, 50_000, "other.pdf")
    plain.get_by_label("Your answer file").set_input_files(other)
    plain.get_by_role("button", name="Upload").click()
    plain.wait_for_url("**/receipt/**")
    assert student.submissions.get().sha256 == sha256(other)


def test_the_come_back_page_has_no_serious_violations(pages, two_step_student, tmp_path):
    student = two_step_student
    path = answer_file(tmp_path, 40_000)
    committed = Client().post(
        reverse("submissions:commit", args=[student.upload_code]),
        {"token": "t" * 32, "sha256": sha256(path), "size": 40_000, "name": path.name},
    )
    assert committed.status_code == 201
    # axe is injected as an inline script, which the page's own CSP would rightly refuse.
    page = pages.new(bypass_csp=True)
    page.goto(student.get_upload_url())
    expect(page.get_by_test_id("commitment")).to_be_visible()
    found = accessibility_violations(page, "upload-come-back")

    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 40_000, "b.pdf"))
    expect(page.locator("#upload-form")).to_have_attribute("data-state", "other")
    found += accessibility_violations(page, "upload-not-the-same")

    assert not found, "\n".join(found)

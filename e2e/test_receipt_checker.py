"""
The signed receipt, checked offline: a student uploads, downloads the signed receipt and the
checker page, and the checker, opened from disk (file://) with the network off, verifies the
receipt and the answer file, then refuses a tampered receipt, saying what does not match.
docs/screenshots/receipt-checker-*.png come from here (`make screenshots`).
"""

import base64
import json

import pytest
from playwright.sync_api import expect

from e2e.helpers import accessibility_violations, answer_file, doc_shot, has_sideways_scroll
from submissions import signing

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1100, "height": 900}
# For the journey that has the vendored noble-ed25519 check the signature: WebCrypto says it
# knows no Ed25519, as a browser before Chromium 137 or Safari 17 would.
NO_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
    (algorithm && (algorithm.name || algorithm)) === "Ed25519"
      ? Promise.reject(new DOMException("Ed25519 is not supported", "NotSupportedError"))
      : importKey(format, key, algorithm, ...rest);
})();
"""


LINKS = {
    "en": ("Download signed receipt", "Download the offline checker"),
    "de": ("Signierte Eingangsbestätigung herunterladen", "Offline-Prüfseite herunterladen"),
}


def download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return info.value


def saved_receipt_and_checker(pages, student, tmp_path, language="en"):
    """Upload on the student's page, then save the signed receipt and the checker."""
    headers = {"Accept-Language": language}
    page = pages.new(locale=language, extra_http_headers=headers)
    answer = answer_file(tmp_path, 40_000, "answer.pdf")
    page.goto(student.get_upload_url())
    page.locator("input[type=file][name=file]").set_input_files(answer)
    page.locator("button.primary[type=submit]").click()
    page.wait_for_url("**/receipt/**")
    expect(page.locator(".receipt-qr svg.qr")).to_be_visible()
    receipt = tmp_path / f"receipt-{language}.json"
    download(page, LINKS[language][0]).save_as(receipt)
    checker = tmp_path / f"checker-{language}.html"
    download(page, LINKS[language][1]).save_as(checker)
    return receipt, answer, checker


class Offline:
    """A browser context of its own (the `pages` fixture's watch is for the live server's
    pages), with the network off and every request that is not the file itself recorded."""

    def __init__(self, browser, viewport, init_script=None, **options):
        self.context = browser.new_context(viewport=viewport, **options)
        self.context.set_offline(True)
        if init_script:
            self.context.add_init_script(init_script)
        self.requests, self.errors = [], []
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _request(self, request):
        if not request.url.startswith("file://"):
            self.requests.append(request.url)

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, path):
        self.page.goto(path.as_uri())
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        return self.page

    def close(self):
        self.context.close()
        assert not self.requests, self.requests
        assert not self.errors, self.errors


def check(page, receipt, answer=None):
    """Drop the files in and check; returns the result once the page has given it."""
    page.evaluate("() => { delete document.getElementById('result').dataset.state; }")
    page.locator("#receipt").set_input_files(receipt)
    page.locator("#answer").set_input_files(answer or [])
    page.locator("#checker button[type=submit]").click()
    page.wait_for_function("() => document.getElementById('result').dataset.state")
    return page.locator("#result")


def tampered(receipt, tmp_path, **facts):
    data = json.loads(receipt.read_text())
    data["facts"].update(facts)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    return path


def forged_signature(receipt, tmp_path):
    """The facts signed afresh by a key that is not the site's, under the site's key id."""
    data = json.loads(receipt.read_text())
    head, _payload, signature = data["jws"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(data["jws"].split(".")[1] + "==").decode())
    payload["late"] = False
    payload["file"] = "forged.pdf"
    data["facts"] = payload
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    data["jws"] = f"{head}.{encoded}.{signature}"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_saved_checker_verifies_a_receipt_offline(pages, browser, student, tmp_path, viewport):
    receipt, answer, checker = saved_receipt_and_checker(pages, student, tmp_path)
    offline = Offline(browser, viewport)
    page = offline.open(checker)
    size = "phone" if viewport is PHONE else "desktop"
    kid = signing.key_id(signing.signing_key())

    result = check(page, receipt, answer)

    expect(result).to_have_attribute("data-state", "valid")
    expect(result).to_have_attribute("data-engine", "webcrypto")
    expect(result.get_by_role("heading", level=2)).to_have_text(
        f"Valid: signed by 127.0.0.1:8000 with key {kid}."
    )
    expect(result).to_contain_text("This file matches: answer.pdf is the file on the receipt.")
    assert not has_sideways_scroll(page)
    doc_shot(page, f"receipt-checker-valid-{size}", full_page=True)

    result = check(page, tampered(receipt, tmp_path, file="better-answer.pdf"), answer)

    expect(result).to_have_attribute("data-state", "invalid")
    expect(result.get_by_role("heading", level=2)).to_have_text("Not valid")
    expect(result).to_contain_text(
        'File: the readable part says "better-answer.pdf", the signed statement "answer.pdf".'
    )
    doc_shot(page, f"receipt-checker-tampered-{size}", full_page=True)

    other = answer_file(tmp_path, 40_000, "other.pdf")
    result = check(page, receipt, other)

    expect(result).to_have_attribute("data-state", "invalid")
    expect(result).to_contain_text("The file does not match: other.pdf has the SHA-256")

    result = check(page, forged_signature(receipt, tmp_path))

    expect(result).to_contain_text(f"The signature does not match key {kid}")
    offline.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_checker_speaks_german(pages, browser, student, tmp_path, viewport):
    receipt, answer, checker = saved_receipt_and_checker(pages, student, tmp_path, "de")
    offline = Offline(browser, viewport)
    page = offline.open(checker)
    size = "phone" if viewport is PHONE else "desktop"

    result = check(page, receipt, answer)

    expect(result).to_have_attribute("data-state", "valid")
    expect(result.get_by_role("heading", level=2)).to_contain_text("Gültig: signiert von")
    doc_shot(page, f"receipt-checker-valid-de-{size}", full_page=True)

    result = check(page, tampered(receipt, tmp_path, size=1), answer)

    expect(result.get_by_role("heading", level=2)).to_have_text("Ungültig")
    expect(result).to_contain_text("Größe in Bytes: der lesbare Teil sagt 1")
    doc_shot(page, f"receipt-checker-tampered-de-{size}", full_page=True)
    offline.close()


def test_without_webcrypto_ed25519_the_vendored_library_checks(pages, browser, student, tmp_path):
    receipt, answer, checker = saved_receipt_and_checker(pages, student, tmp_path)
    offline = Offline(browser, DESKTOP, init_script=NO_WEBCRYPTO_ED25519)
    page = offline.open(checker)

    result = check(page, receipt, answer)

    expect(result).to_have_attribute("data-state", "valid")
    expect(result).to_have_attribute("data-engine", "noble")

    result = check(page, forged_signature(receipt, tmp_path))

    expect(result).to_have_attribute("data-state", "invalid")
    expect(result).to_have_attribute("data-engine", "noble")
    expect(result).to_contain_text("The signature does not match key")
    offline.close()


def test_the_receipt_page_shows_the_signed_receipt(pages, student, tmp_path):
    for language, viewport in [("en", PHONE), ("de", DESKTOP)]:
        # axe is injected as an inline script, which the page's own CSP would rightly refuse.
        page = pages.new(
            locale=language,
            extra_http_headers={"Accept-Language": language},
            viewport=viewport,
            bypass_csp=True,
        )
        page.goto(student.get_upload_url())
        page.locator("input[type=file][name=file]").set_input_files(answer_file(tmp_path, 20_000))
        page.locator("button.primary[type=submit]").click()
        page.wait_for_url("**/receipt/**")
        section = page.locator(".signed-receipt")
        expect(section.locator("svg.qr")).to_be_visible()
        assert not has_sideways_scroll(page)
        section.scroll_into_view_if_needed()
        doc_shot(page, f"receipt-signed-{language}", full_page=True)
        assert accessibility_violations(page, f"receipt-signed-{language}") == []
        receipt = tmp_path / f"lookup-{language}.json"
        download(page, LINKS[language][0]).save_as(receipt)

        page.goto("/verify/")
        page.locator("#id_receipt").set_input_files(receipt)
        page.locator("form.receipt-check button[type=submit]").click()
        result = page.get_by_test_id("receipt-check")
        expect(result).to_have_attribute("data-state", "valid")
        expect(result.get_by_role("heading", level=2)).to_contain_text(
            {"en": "Valid: signed by", "de": "Gültig: signiert von"}[language]
        )
        assert not has_sideways_scroll(page)
        doc_shot(page, f"verify-receipt-{language}", full_page=True)
        assert accessibility_violations(page, f"verify-receipt-{language}") == []


def test_the_checker_page_is_accessible(pages, browser, student, tmp_path):
    receipt, answer, checker = saved_receipt_and_checker(pages, student, tmp_path)
    # axe is injected as an inline script, which the page's own policy would refuse.
    offline = Offline(browser, DESKTOP, bypass_csp=True)
    page = offline.open(checker)
    check(page, tampered(receipt, tmp_path, size=1), answer)

    assert accessibility_violations(page, "receipt-checker") == []
    offline.close()


def test_without_webcrypto_at_all_the_checker_says_how_to_open_it(
    pages, browser, student, tmp_path
):
    """As on a page served over plain http://, where browsers give no WebCrypto."""
    receipt, _answer, checker = saved_receipt_and_checker(pages, student, tmp_path)
    no_subtle = "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined });"
    offline = Offline(browser, DESKTOP, init_script=no_subtle)
    page = offline.open(checker)

    result = check(page, receipt)

    expect(result).to_have_attribute("data-state", "invalid")
    expect(result).to_contain_text("This browser cannot check signatures on this page")
    offline.close()

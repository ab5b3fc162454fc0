"""A student's journey in a German browser: the upload page, a refusal, the receipt and the
verification page, all in German, each checked by axe (with `lang="de"` on the page). The
screenshots docs/screenshots/*-de.png come from here (`make e2e`, then copy
e2e-artifacts/*-de.png)."""

import re

from playwright.sync_api import expect

from e2e.helpers import accessibility_violations, answer_file, shot

GERMAN = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}}


def test_a_german_student_uploads_is_refused_and_gets_a_german_receipt(pages, student, tmp_path):
    # axe is injected as an inline script, which the page's own CSP would rightly refuse.
    page = pages.new(bypass_csp=True, **GERMAN)
    found = []

    page.goto(student.get_upload_url())
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Laden Sie Ihre Antwort hoch, Ada")
    expect(page.get_by_text("Höchstens 3,0 MB.")).to_be_visible()
    found += accessibility_violations(page, "upload-de")
    shot(page, "upload-de")

    page.get_by_label("Ihre Antwortdatei").set_input_files(
        answer_file(tmp_path, 4 * 1024 * 1024, "scan.pdf")
    )
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("Diese Datei ist 4,0 MB groß; erlaubt sind 3,0 MB.")
    expect(page.locator("#file-chosen")).to_have_text("Ausgewählt: scan.pdf (4,0 MB)")
    found += accessibility_violations(page, "upload-refused-de")
    shot(page, "upload-too-large-de")

    page.get_by_label("Ihre Antwortdatei").set_input_files(
        answer_file(tmp_path, 1_500_000, "Lösung.pdf")
    )
    expect(errors).to_be_empty()
    page.get_by_role("button", name="Hochladen").click()
    page.wait_for_url("**/receipt/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Datei ist bei uns angekommen")
    expect(page.locator("#hash-check")).to_contain_text("Was Sie gesendet haben")
    expect(page.locator(".receipt")).to_contain_text("1,4 MB (1500000 Bytes)")
    expect(page.locator(".receipt")).to_contain_text("Lösung.pdf")
    expect(page.locator(".receipt time")).to_have_text(re.compile(r"^\d{1,2}\. \w+ \d{4}, "))
    found += accessibility_violations(page, "receipt-de")
    shot(page, "receipt-de", full_page=True)
    code = page.get_by_test_id("verification-code").inner_text()

    page.goto(f"/verify/?code={code}")
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Abgabe {code}")
    expect(page.get_by_role("button", name="Datei herunterladen")).to_be_visible()
    found += accessibility_violations(page, "verify-de")
    shot(page, "verify-de")
    page.goto("/verify/?code=0000-0000-0000")
    expect(page.get_by_role("alert")).to_contain_text("Keine Abgabe hat diesen Code.")
    found += accessibility_violations(page, "verify-unknown-de")

    assert not found, "\n".join(found)


def test_the_switcher_changes_the_language_and_keeps_it(pages, student):
    page = pages.new(**GERMAN)
    page.goto(student.get_upload_url())

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your answer, Ada")
    page.goto("/verify/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a submission")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abgabe prüfen")

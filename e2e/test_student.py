import hashlib
import re

from playwright.sync_api import expect

from e2e.helpers import (
    answer_file,
    drop_file,
    has_sideways_scroll,
    record_progress,
    seen_progress,
    shot,
    throttle_uploads,
)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload(page, path):
    page.get_by_label("Your answer file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")


def test_a_student_uploads_with_a_progress_bar_then_uploads_again(pages, student, tmp_path):
    page = pages.new()
    first = answer_file(tmp_path, 1_500_000, "answer.pdf")
    response = page.goto(student.get_upload_url())
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your answer, Ada")
    shot(page, "upload")

    page.get_by_label("Your answer file").set_input_files(first)
    expect(page.locator("#file-chosen")).to_have_text("Chosen: answer.pdf (1.4 MB)")
    record_progress(page)
    throttle_uploads(page, 400_000)
    page.get_by_role("button", name="Upload").click()

    progress = page.locator("#upload-progress-text")
    expect(page.get_by_label("Upload progress")).to_be_visible()
    expect(progress).to_have_text(re.compile(r"^[3-8]\d% · [\d.]+ (KB|MB) of 1\.4 MB$"))
    shot(page, "upload-progress")
    page.wait_for_url("**/receipt/**")
    seen = seen_progress(page)
    assert seen[-1] == "100% · 1.4 MB of 1.4 MB", seen
    assert any(not text.startswith(("0%", "100%")) for text in seen), seen

    expect(page.get_by_role("heading", level=1)).to_have_text("We have your file")
    assert page.locator(".receipt .hash").text_content() == sha256(first)
    check = page.locator("#hash-check")
    expect(check).to_have_attribute("data-match", "yes")
    expect(check).to_contain_text("What you sent is what we stored")
    first_code = page.get_by_test_id("verification-code").inner_text()
    shot(page, "receipt", full_page=True)

    page.go_back()
    expect(page.get_by_test_id("uploads-left")).to_have_text("4")
    expect(page.get_by_role("button", name="Upload")).to_be_enabled()
    expect(page.get_by_label("Upload progress")).to_be_hidden()
    second = answer_file(tmp_path, 200_000, "answer-final.pdf")
    dropped = drop_file(page, second)
    shot(page, "upload-drop")
    page.dispatch_event("main", "drop", {"dataTransfer": dropped})
    expect(page.locator("#file-chosen")).to_have_text("Chosen: answer-final.pdf (195.3 KB)")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")

    second_code = page.get_by_test_id("verification-code").inner_text()
    assert second_code != first_code
    expect(page.locator("#hash-check")).to_have_attribute("data-match", "yes")
    expect(page.get_by_text("Uploads left: 3 of 5")).to_be_visible()
    student.refresh_from_db()
    assert student.uploads_used == 2
    assert student.current_submission.sha256 == sha256(second)


def test_a_4_mb_file_is_refused_in_the_page_before_upload(pages, student, tmp_path):
    page = pages.new()
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.goto(student.get_upload_url())
    scan = answer_file(tmp_path, 4 * 1024 * 1024, "scan.pdf")

    field = page.get_by_label("Your answer file")
    field.set_input_files(scan)
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("This file is 4.0 MB; the limit is 3.0 MB. It was not sent.")
    expect(errors).to_have_attribute("aria-live", "assertive")
    expect(field).to_have_attribute("aria-invalid", "true")
    shot(page, "upload-too-large")

    page.get_by_role("button", name="Upload").click()
    expect(errors).to_contain_text("It was not sent.")
    expect(page.get_by_label("Upload progress")).to_be_hidden()
    assert posts == []
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_a_file_of_another_type_is_refused_in_the_page(pages, student, tmp_path):
    student.exam.allowed_extensions = "pdf"
    student.exam.save()
    page = pages.new()
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.goto(student.get_upload_url())

    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 5_000, "a.docx"))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-errors")).to_contain_text("accepts only .pdf files")
    assert posts == []


def test_the_servers_refusal_is_shown_in_the_page(pages, student, tmp_path):
    page = pages.new()
    page.goto(student.get_upload_url())
    student.uploads_used = student.exam.max_uploads
    student.save()

    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 10_000))
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-errors")).to_contain_text("You have used all your uploads")
    expect(page.get_by_test_id("uploads-left")).to_have_text("0")
    expect(page.get_by_role("button", name="Upload")).to_have_count(0)
    assert "/receipt/" not in page.url


def test_the_server_stays_the_authority_on_the_limit(pages, student, tmp_path):
    page = pages.new()
    page.goto(student.get_upload_url())
    # The examiner lowers the limit while the student's page is open.
    student.exam.max_upload_bytes = 100_000
    student.exam.save()

    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 1_000_000))
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-errors")).to_contain_text("the limit is 97.7 KB")
    expect(page.get_by_role("button", name="Upload")).to_be_enabled()
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_the_plain_form_works_without_javascript(pages, student, tmp_path):
    page = pages.new(java_script_enabled=False)
    path = answer_file(tmp_path, 50_000)
    page.goto(student.get_upload_url())
    upload(page, path)

    expect(page.get_by_role("heading", level=1)).to_have_text("We have your file")
    assert page.locator(".receipt .hash").text_content() == sha256(path)
    expect(page.locator("#hash-check")).to_be_hidden()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()


def test_the_page_works_with_the_keyboard_alone(pages, student, tmp_path):
    page = pages.new()
    # Playwright turns on file chooser interception without waiting for it: do it early.
    page.on("filechooser", lambda chooser: None)
    path = answer_file(tmp_path, 20_000)
    page.goto(student.get_upload_url())

    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type") == "file":
            break
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(path)
    expect(page.locator("#file-chosen")).to_contain_text("answer.pdf")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Upload")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt/**")
    expect(page.locator("#hash-check")).to_have_attribute("data-match", "yes")


def test_the_receipt_tells_a_different_file_apart(pages, student, tmp_path):
    page = pages.new()
    sent = answer_file(tmp_path, 40_000, "answer.pdf")
    page.goto(student.get_upload_url())
    upload(page, sent)
    check = page.locator("#hash-check")
    expect(check).to_have_attribute("data-match", "yes")

    page.get_by_label("Check a copy of your file against this receipt").set_input_files(
        answer_file(tmp_path, 40_000, "draft.pdf")
    )
    expect(check).to_have_attribute("data-match", "no")
    expect(check).to_contain_text("draft.pdf is not the file on this receipt")
    page.get_by_label("Check a copy of your file against this receipt").set_input_files(sent)
    expect(check).to_have_attribute("data-match", "yes")

    # What the page shows if the stored bytes were not the ones the browser hashed.
    page.evaluate(
        """() => sessionStorage.setItem(`sha256:${location.pathname}`,
            JSON.stringify({sha256: "0".repeat(64), name: "answer.pdf", size: 40000}))"""
    )
    page.reload()
    expect(check).to_have_attribute("data-match", "no")
    expect(check).to_contain_text("Not the same file")
    shot(page, "receipt-mismatch")


def test_the_receipt_prints_on_one_page(pages, student, tmp_path):
    page = pages.new()
    page.goto(student.get_upload_url())
    upload(page, answer_file(tmp_path, 30_000, "a-rather-long-file-name-for-the-final-answer.pdf"))
    expect(page.locator(".receipt-qr")).to_have_attribute("data-drawn", "yes")  # on paper too

    page.emulate_media(media="print")
    shot(page, "receipt-print", full_page=True)
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_the_pages_fit_a_375_pixel_phone(pages, student, tmp_path):
    page = pages.new(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page.goto(student.get_upload_url())
    assert not has_sideways_scroll(page)
    name = "Final-answer-of-the-algebra-midterm-with-all-the-scanned-pages-included.pdf"
    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 60_000, name))
    expect(page.locator("#file-chosen")).to_contain_text(name)
    assert not has_sideways_scroll(page)
    shot(page, "upload-phone", full_page=True)

    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")
    assert not has_sideways_scroll(page)
    shot(page, "receipt-phone", full_page=True)

    code = page.get_by_test_id("verification-code").inner_text()
    page.goto(f"/verify/?code={code}")
    assert not has_sideways_scroll(page)
    shot(page, "verify-phone", full_page=True)

from pathlib import Path

from playwright.sync_api import expect

from e2e.helpers import answer_file, shot


def test_a_reviewer_types_the_code_and_downloads_the_same_bytes(pages, student, tmp_path):
    sent = answer_file(tmp_path, 700_000, "answer.pdf")
    page = pages.new()
    page.goto(student.get_upload_url())
    page.get_by_label("Your answer file").set_input_files(sent)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")
    code = page.get_by_test_id("verification-code").inner_text()

    reviewer = pages.new()
    reviewer.goto("/")
    reviewer.get_by_role("link", name="Verify a code").click()
    # Typed as a person might read it out: lower case, spaces instead of dashes.
    reviewer.get_by_label("Verification code").fill(code.lower().replace("-", " "))
    reviewer.get_by_role("button", name="Look up").click()
    expect(reviewer.get_by_role("heading", name=f"Submission {code}")).to_be_visible()
    assert reviewer.url.endswith("/verify/")  # posted: the code is in no address
    shot(reviewer, "verify", full_page=True)

    with reviewer.expect_download() as download:
        reviewer.get_by_role("button", name="Download the file").click()
    assert download.value.suggested_filename == "answer.pdf"
    assert Path(download.value.path()).read_bytes() == sent.read_bytes()

"""The mail journey: the examiner sends the links, the worker delivers them to a real SMTP
server, the student opens the link from the mail and uploads, and the receipt mail arrives
with the code the page showed."""

import re

from playwright.sync_api import expect

from e2e.helpers import PASSWORD, answer_file, shot
from students.tests.factories import StudentFactory
from students.tests.smtp import body, run_worker


def log_in(page, examiner):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(examiner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_links_by_mail_then_an_upload_then_the_receipt_by_mail(
    pages, live_server, settings, smtp, examiner, exam, tmp_path
):
    settings.SITE_URL = live_server.url
    grace = StudentFactory(exam=exam, first_name="Grace", last_name="Hopper")
    StudentFactory(exam=exam, first_name="Alan", last_name="Turing")
    StudentFactory(exam=exam, first_name="No", last_name="Address", email="")

    page = pages.new()
    log_in(page, examiner)
    page.goto(exam.get_absolute_url())
    page.get_by_role("button", name="Email upload links", exact=True).click()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-text")).to_contain_text(live_server.url + "/u/")
    expect(page.get_by_test_id("without-address")).to_contain_text("No Address")
    shot(page, "mail-preview", full_page=True)
    page.get_by_role("button", name="Send to 2 students").click()
    expect(page.get_by_test_id("mail-progress")).to_contain_text("0 of 2 sent")

    run_worker()
    page.reload()
    expect(page.get_by_test_id("mail-progress")).to_contain_text("2 of 2 sent, 0 failed")
    expect(page.get_by_role("row", name=re.compile("Grace Hopper"))).to_contain_text("link sent")
    shot(page, "mail-progress", full_page=True)

    [link_mail] = smtp.to(grace.email)
    link = re.search(rf"{re.escape(live_server.url)}/u/\S+", body(link_mail)).group(0)
    student_page = pages.new()
    student_page.goto(link)
    student_page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 50_000))
    student_page.get_by_role("button", name="Upload").click()
    student_page.wait_for_url("**/receipt/**")
    code = student_page.get_by_test_id("verification-code").inner_text()

    run_worker()
    receipt = [m for m in smtp.to(grace.email) if "Receipt" in m["Subject"]]
    assert len(receipt) == 1
    assert code in receipt[0]["Subject"]
    assert f"Verification code: {code}" in body(receipt[0])

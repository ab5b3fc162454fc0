"""The exam's life in a browser: the countdown, a late upload, the last upload's
confirmation and opening one's own file."""

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import answer_file, shot
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission


def choose_and_upload(page, path):
    page.get_by_label("Your answer file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()


def test_the_page_counts_down_in_the_exams_zone_and_in_the_students_own(pages, tmp_path):
    due = timezone.now() + timedelta(hours=2, minutes=14)
    exam = ExamFactory(
        closes_at=due,
        time_zone="Europe/Berlin",
        instructions="Scan all pages into one PDF.\nRules: https://example.edu/rules",
        contact="exams@example.edu",
        allowed_extensions="pdf",
    )
    student = StudentFactory(exam=exam)
    page = pages.new(timezone_id="America/New_York")

    page.goto(student.get_upload_url())

    countdown = page.get_by_test_id("countdown")
    expect(countdown).to_have_text(re.compile(r"^· closes in 2 h 1[34] min$"))
    expect(page.locator(".deadline")).to_contain_text(re.compile(r"\d{2}:\d{2} CES?T"))
    local = page.locator("[data-local-time]")
    expect(local).to_be_visible()
    expect(local).to_contain_text("in your time zone (America/New_York)")
    expect(page.get_by_role("link", name="https://example.edu/rules")).to_be_visible()
    shot(page, "upload-countdown", full_page=True)


def test_the_countdown_is_the_servers_without_javascript(pages):
    student = StudentFactory(exam=ExamFactory(closes_at=timezone.now() + timedelta(minutes=45)))
    page = pages.new(java_script_enabled=False)

    page.goto(student.get_upload_url())

    expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"closes in 4[45] min"))
    expect(page.locator("[data-local-time]")).to_be_hidden()


def test_a_late_upload_is_marked_late_on_the_page_and_the_receipt(pages, tmp_path):
    now = timezone.now()
    exam = ExamFactory(closes_at=now - timedelta(minutes=20), cutoff_at=now + timedelta(hours=1))
    student = StudentFactory(exam=exam)
    page = pages.new()

    page.goto(student.get_upload_url())
    expect(page.get_by_test_id("late-notice")).to_contain_text("will be marked late")
    shot(page, "upload-late")
    choose_and_upload(page, answer_file(tmp_path, 20_000))
    page.wait_for_url("**/receipt/**")

    expect(page.get_by_test_id("late")).to_have_text(re.compile(r"^late by 2\d min$"))
    assert Submission.objects.get().late_by >= timedelta(minutes=20)
    shot(page, "receipt-late", full_page=True)


def test_the_last_upload_asks_for_confirmation_first(pages, tmp_path):
    student = StudentFactory(exam=ExamFactory(max_uploads=1))
    page = pages.new()
    page.goto(student.get_upload_url())
    expect(page.get_by_test_id("last-upload")).to_contain_text("This is your last upload")
    # With the script the checkbox gives way to a dialog.
    expect(page.locator(".confirm-last")).to_be_hidden()
    dialogs = []

    def answer(dialog, accept):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    choose_and_upload(page, answer_file(tmp_path, 10_000))
    page.wait_for_timeout(300)
    assert "This is your last upload" in dialogs[0]
    assert not Submission.objects.exists()
    shot(page, "upload-last")

    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")
    assert Submission.objects.count() == 1


def test_without_javascript_the_last_upload_needs_the_checkbox(pages, tmp_path):
    student = StudentFactory(exam=ExamFactory(max_uploads=1))
    page = pages.new(java_script_enabled=False)
    page.goto(student.get_upload_url())

    box = page.get_by_label("I understand that this is my last upload")
    expect(box).to_be_visible()
    box.check()
    choose_and_upload(page, answer_file(tmp_path, 10_000))
    page.wait_for_url("**/receipt/**")
    assert Submission.objects.count() == 1


def test_the_student_opens_the_file_they_submitted(pages, tmp_path):
    student = StudentFactory()
    sent = answer_file(tmp_path, 30_000, "my-answer.pdf")
    page = pages.new()
    page.goto(student.get_upload_url())
    choose_and_upload(page, sent)
    page.wait_for_url("**/receipt/**")

    with page.expect_download() as download:
        page.get_by_test_id("own-file").click()

    assert download.value.suggested_filename == "my-answer.pdf"
    assert Path(download.value.path()).read_bytes() == sent.read_bytes()
    page.get_by_text("Technical details").click()
    expect(page.locator(".receipt .hash")).to_be_visible()
    shot(page, "receipt-technical", full_page=True)


def test_before_the_opening_time_the_page_says_when(pages):
    now = timezone.now()
    exam = ExamFactory(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    page = pages.new(viewport={"width": 375, "height": 740}, is_mobile=True)

    page.goto(StudentFactory(exam=exam).get_upload_url())

    expect(page.get_by_role("heading", level=1)).to_contain_text("Uploads open on")
    expect(page.get_by_label("Your answer file")).to_have_count(0)
    shot(page, "upload-not-open-phone", full_page=True)

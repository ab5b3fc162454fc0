"""README, "Your first exam in five minutes", step by step in a real Chromium: the steps
must work as written, and the screenshots in docs/screenshots/first-exam/ come from here
(`make e2e`, then copy e2e-artifacts/first-exam-*.png)."""

import zipfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import answer_file, log_in, shot


def test_an_examiners_first_exam_as_the_readme_tells_it(pages, examiner, tmp_path):
    page = pages.new(viewport={"width": 1200, "height": 760})
    log_in(page, examiner)
    exam = create_exam_and_students(page, examiner, tmp_path)
    hand_out_watch_and_download(pages, page, exam, tmp_path)


def create_exam_and_students(page, examiner, tmp_path):
    # 1. Create an exam.
    page.get_by_role("link", name="New exam").first.click()
    page.get_by_label("Title").fill("Linear algebra final")
    deadline = timezone.localtime() + timedelta(days=2)
    page.get_by_label("Due (").fill(deadline.strftime("%Y-%m-%dT12:00"))
    page.get_by_label("Largest file (MB)").fill("5")
    shot(page, "first-exam-1-create")
    page.get_by_role("button", name="Create exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linear algebra final")
    exam = examiner.exams.get()

    # 2. Add students one by one, or import a class list.
    page.get_by_role("link", name="Add a student").first.click()
    page.get_by_label("Nickname").fill("s1001")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.edu")
    page.get_by_role("button", name="Add student", exact=True).click()
    page.get_by_role("link", name="Linear algebra final").click()
    class_list = tmp_path / "class-list.csv"
    class_list.write_text(
        "nickname,first name,last name,email\n"
        "s1002,Alan,Turing,alan@example.edu\n"
        "s1003,Katherine,Johnson,katherine@example.edu\n"
        "s1004,Edsger,Dijkstra,edsger@example.edu\n"
    )
    page.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file").set_input_files(class_list)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("3 rows ready to import")
    shot(page, "first-exam-2-import")
    page.get_by_role("button", name="Import 3 students").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linear algebra final")
    assert exam.students.count() == 4
    return exam


def hand_out_watch_and_download(pages, page, exam, tmp_path):
    # 3. Hand out the links: copy one, print slips, or send the roster CSV.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.wait_for_load_state()  # copy.js (deferred) listens from then on
    copy = page.get_by_role("button", name="Copy link for Alan Turing")
    copy.click()
    expect(copy).to_have_text("Copied")  # the page's own signal: the copy is asynchronous
    alan = exam.students.get(nickname="s1002")
    assert page.evaluate("() => navigator.clipboard.readText()").endswith(alan.get_upload_url())
    shot(page, "first-exam-3-links")
    with page.expect_download() as roster_csv:
        page.get_by_role("link", name="Roster (CSV)").click()
    assert alan.get_upload_url() in Path(roster_csv.value.path()).read_text()

    # 4. Watch the roster fill up as students upload.
    sent = answer_file(tmp_path, 400_000, "answer.pdf")
    student_page = pages.new()
    student_page.goto(alan.get_upload_url())
    student_page.get_by_label("Your answer file").set_input_files(sent)
    student_page.get_by_role("button", name="Upload").click()
    student_page.wait_for_url("**/receipt/**")
    page.reload()
    expect(page.get_by_test_id("submitted-count")).to_have_text("Submitted 1 of 4")
    expect(page.get_by_role("row", name="Alan Turing")).to_contain_text("1 of 5")
    shot(page, "first-exam-4-roster")

    # 5. Download every file at once, with a manifest.
    with page.expect_download() as archive:
        page.get_by_role("link", name="Download all files (ZIP)").click()
    with zipfile.ZipFile(archive.value.path()) as files:
        assert files.read("s1002_answer.pdf") == sent.read_bytes()
        assert "manifest.csv" in files.namelist()
    page.get_by_role("table").get_by_role("link", name="Alan Turing", exact=True).click()
    expect(page.get_by_role("link", name="Download", exact=True)).to_be_visible()
    shot(page, "first-exam-5-download")

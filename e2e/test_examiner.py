from playwright.sync_api import expect

from e2e.helpers import PASSWORD, shot


def test_an_examiner_creates_an_exam_adds_a_student_and_imports_a_csv(pages, examiner, tmp_path):
    page = pages.new()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, examiner)
    exam = create_exam(page, examiner)
    add_student(page, pages, exam)

    page.get_by_role("link", name="Linear algebra final").click()
    roster = page.get_by_role("table")
    expect(roster).to_contain_text("Grace Hopper")
    expect(roster).to_contain_text("not yet")

    import_csv(page, tmp_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Linear algebra final")
    for name in ("Grace Hopper", "Alan Turing", "Katherine Johnson"):
        expect(roster).to_contain_text(name)
    assert exam.students.count() == 3
    shot(page, "roster", full_page=True)

    # The common actions are one click away on the roster itself.
    page.wait_for_load_state()  # copy.js (deferred) listens from then on
    copy = page.get_by_role("button", name="Copy link for Alan Turing")
    copy.click()
    expect(copy).to_have_text("Copied")  # the page's own signal: the copy is asynchronous
    alan = exam.students.get(nickname="s1002")
    clipboard = page.evaluate("() => navigator.clipboard.readText()")
    assert clipboard == f"{pages.base_url}{alan.get_upload_url()}"
    page.get_by_role("link", name="3 not yet submitted").click()
    expect(page.get_by_label("Show")).to_have_value("waiting")
    expect(roster.get_by_role("row")).to_have_count(4)


def log_in(page, examiner):
    page.goto("/exams/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Examiner login")
    shot(page, "login")
    page.get_by_label("Username").fill(examiner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My exams")
    shot(page, "exams-empty")


def create_exam(page, examiner):
    page.get_by_role("link", name="New exam").first.click()
    page.get_by_label("Title").fill("Linear algebra final")
    shot(page, "exam-form", full_page=True)
    page.get_by_role("button", name="Create exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linear algebra final")
    return examiner.exams.get()


def add_student(page, pages, exam):
    page.get_by_role("link", name="Add a student").first.click()
    page.get_by_label("Nickname").fill("s1001")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.edu")
    shot(page, "student-form", full_page=True)
    page.get_by_role("button", name="Add student", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    student = exam.students.get()

    link = page.get_by_label("Personal upload link")
    expect(link).to_have_value(f"{pages.base_url}{student.get_upload_url()}")
    page.wait_for_load_state()  # copy.js (deferred) listens from then on
    copy = page.locator("[data-copy='#upload-link']")
    copy.click()
    expect(copy).to_have_text("Copied")  # written to the clipboard by then
    assert page.evaluate("() => navigator.clipboard.readText()") == link.input_value()
    shot(page, "student", full_page=True)


def import_csv(page, tmp_path):
    csv = tmp_path / "class-list.csv"
    csv.write_text(
        "nickname;first name;last name;email\n"
        "s1002;Alan;Turing;alan@example.edu\n"
        "s1003;Katherine;Johnson;katherine@example.edu\n"
    )
    page.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file").set_input_files(csv)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 rows ready to import")
    shot(page, "import-preview", full_page=True)
    page.get_by_role("button", name="Import 2 students").click()

from playwright.sync_api import expect

from e2e.helpers import accessibility_violations, answer_file, log_in, shot
from students.tests.factories import StudentFactory


def test_the_pages_have_no_serious_violations(pages, examiner, student, tmp_path):
    # axe is injected as an inline script, which the page's own CSP would rightly refuse.
    page = pages.new(bypass_csp=True)
    found = []

    page.goto(student.get_upload_url())
    found += accessibility_violations(page, "upload")
    page.get_by_label("Your answer file").set_input_files(
        answer_file(tmp_path, 4 * 1024 * 1024, "scan.pdf")
    )
    expect(page.locator("#upload-errors")).not_to_be_empty()
    found += accessibility_violations(page, "upload-refused")

    page.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 20_000))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/receipt/**")
    expect(page.locator("#hash-check")).to_be_visible()
    found += accessibility_violations(page, "receipt")
    code = page.get_by_test_id("verification-code").inner_text()

    page.goto(f"/verify/?code={code}")
    found += accessibility_violations(page, "verify")
    page.goto("/verify/?code=0000-0000-0000")
    found += accessibility_violations(page, "verify-unknown")

    page.goto("/")
    found += accessibility_violations(page, "home")
    page.goto("/accounts/login/")
    found += accessibility_violations(page, "login")

    StudentFactory(exam=student.exam, first_name="Grace", last_name="Hopper")
    StudentFactory(exam=student.exam, first_name="Alan", last_name="Turing")
    log_in(page, examiner)
    page.goto(student.exam.get_absolute_url())
    found += accessibility_violations(page, "roster")
    shot(page, "roster-submitted", full_page=True)
    page.goto(student.get_absolute_url())
    found += accessibility_violations(page, "student")
    page.goto("/exams/")
    found += accessibility_violations(page, "exam-list")
    page.goto(f"/exams/{student.exam.pk}/import/")
    found += accessibility_violations(page, "import")
    page.goto("/exams/new/")
    # Past the browser's own checks, to see the server's error messages.
    page.locator("main form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Create exam").click()
    expect(page.locator(".field-error").first).to_be_visible()
    found += accessibility_violations(page, "exam-form-errors")
    page.goto(f"/exams/{student.exam.pk}/students/new/")
    found += accessibility_violations(page, "student-form")

    assert not found, "\n".join(found)


def test_the_check_does_report_a_violation(pages):
    """Guards the check above against passing because axe never ran."""
    page = pages.new(bypass_csp=True)
    page.goto("/")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any("image-alt" in problem for problem in accessibility_violations(page, "broken"))

"""Managing a term in a real Chromium: a destructive action goes through its confirmation
page (removing a student, closing an exam now), and a co-examiner works on a shared exam.
docs/screenshots/confirm-*.png and shared-exam.png come from here."""

from playwright.sync_api import expect

from e2e.helpers import accessibility_violations, log_in, shot
from students.tests.factories import StudentFactory, UserFactory


def test_removing_a_student_and_closing_now_are_confirmed_first(pages, examiner, exam):
    ada = StudentFactory(exam=exam, first_name="Ada", last_name="Lovelace")
    StudentFactory(exam=exam, first_name="Grace", last_name="Hopper")
    page = pages.new(viewport={"width": 1280, "height": 800})
    log_in(page, examiner)
    page.get_by_role("link", name=exam.title).click()

    page.get_by_role("button", name="Close now").click()
    confirmation = page.get_by_test_id("confirmation")
    expect(confirmation).to_contain_text("Uploads stop at once for all 2 students")
    expect(confirmation).to_contain_text("2 of them have not submitted yet")
    shot(page, "confirm-close-now")
    exam.refresh_from_db()
    assert exam.manual_state == ""
    page.get_by_role("button", name="Close now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(exam.title)
    expect(page.locator(".facts .badge").first).to_have_text("closed")

    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("link", name="Remove Ada Lovelace…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Ada Lovelace from this exam?")
    expect(page.get_by_test_id("confirmation")).to_contain_text("The roster then counts 1 student.")
    shot(page, "confirm-remove-student")
    page.get_by_role("button", name="Remove the student").click()

    expect(page.get_by_text("Removed Ada Lovelace.")).to_be_visible()
    expect(page.get_by_test_id("submitted-count")).to_have_text("Submitted 0 of 1")
    assert not exam.students.filter(pk=ada.pk).exists()


def test_a_co_examiner_sees_and_works_on_a_shared_exam(pages, examiner, exam):
    colleague = UserFactory(username="grace")
    StudentFactory(exam=exam, first_name="Alan", last_name="Turing")
    owner = pages.new()
    log_in(owner, examiner)
    owner.goto(exam.get_absolute_url())
    owner.get_by_role("link", name="Share with co-examiners").click()
    owner.get_by_label("Username or email of an examiner").fill("grace")
    owner.get_by_role("button", name="Share").click()
    expect(owner.get_by_test_id("co-examiners")).to_contain_text("grace")

    page = pages.new(viewport={"width": 1280, "height": 800})
    log_in(page, colleague)
    row = page.get_by_role("row", name=exam.title)
    expect(row).to_contain_text(f"shared by {examiner.username}")
    shot(page, "shared-exam-list")
    page.get_by_role("link", name=exam.title).click()
    expect(page.get_by_text(f"Shared with you by {examiner.username}.")).to_be_visible()
    expect(page.get_by_role("link", name="Delete the exam")).to_have_count(0)
    expect(page.get_by_role("table")).to_contain_text("Alan Turing")
    shot(page, "shared-exam", full_page=True)


def test_the_manage_pages_have_no_serious_violations(pages, examiner, student):
    # axe is injected as an inline script, which the page's own CSP would rightly refuse.
    page = pages.new(bypass_csp=True)
    exam = student.exam
    log_in(page, examiner)
    found = []
    for name, url in [
        ("confirm-remove", f"/exams/{exam.pk}/students/{student.pk}/remove/"),
        ("confirm-state", f"/exams/{exam.pk}/state/?state=closed"),
        ("sharing", f"/exams/{exam.pk}/sharing/"),
        ("duplicate", f"/exams/{exam.pk}/duplicate/"),
        ("delete", f"/exams/{exam.pk}/delete/"),
    ]:
        page.goto(url)
        found += accessibility_violations(page, name)
    page.get_by_label("Type the exam's title to confirm").fill("not the title")
    page.get_by_role("button", name="Delete the exam").click()
    expect(page.locator(".field-error")).to_be_visible()
    found += accessibility_violations(page, "delete-errors")
    shot(page, "confirm-delete-exam")

    assert not found, "\n".join(found)

from playwright.sync_api import expect

from e2e.helpers import log_in, shot


def test_the_api_docs_work_from_our_own_files_under_the_csp(pages):
    """Swagger UI from django-ninja's bundled static files: no CDN, no inline script, no
    CSP violation (the `pages` fixture fails the test on any of those)."""
    page = pages.new()
    page.goto("/api/docs")
    expect(page.get_by_text("Exam Depository API", exact=False).first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/exams").first).to_be_visible()
    shot(page, "api-docs")

    page.get_by_role("link", name="v0: the original service's routes").click()
    expect(page.locator(".opblock-summary-path", has_text="/api/v0/students").first).to_be_visible()


def test_an_examiner_makes_a_token_uses_it_and_revokes_it(pages, examiner, exam):
    page = pages.new()
    log_in(page, examiner)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("LMS sync")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").inner_text()
    shot(page, "api-token-new", full_page=True)

    answer = page.request.get("/api/v1/exams", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    assert [e["title"] for e in answer.json()] == [exam.title]

    page.goto("/exams/api-tokens/")
    assert token not in page.content()
    page.get_by_role("button", name="Revoke “LMS sync”").click()
    expect(page.get_by_text("it no longer works")).to_be_visible()
    answer = page.request.get("/api/v1/exams", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 401

"""The exam page watches the rush: an upload from another browser shows up in the counts and
the newest uploads without a reload; the polling pauses in a hidden tab and stops once the
exam closes. docs/screenshots/exam-live.png comes from here (e2e-artifacts/exam-live.png)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import answer_file, log_in, shot
from students import live
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory


@pytest.fixture
def rush(examiner):
    """An exam due in three minutes, 40 students, 30 of whom uploaded in the last half hour,
    more and more of them as the deadline nears."""
    now = timezone.now()
    exam = ExamFactory(
        owner=examiner,
        title="Linear algebra final",
        time_zone="Europe/Berlin",
        closes_at=now.replace(second=0, microsecond=0) + timedelta(minutes=3),
    )
    students = StudentFactory.create_batch(40, exam=exam)
    for i, student in enumerate(students[:30]):
        ago = timedelta(seconds=1500 * (1 - (i / 30) ** 0.5) + 20)
        SubmissionFactory(student=student, accepted_at=now - ago)
    return exam, students[30]


def live_requests(page):
    seen = []
    page.on(
        "request", lambda request: seen.append(request.url) if "/live/" in request.url else None
    )
    return seen


def test_an_upload_shows_on_the_open_exam_page_without_a_reload(
    pages, examiner, rush, tmp_path, monkeypatch
):
    monkeypatch.setattr(live, "POLL_SECONDS", 1)
    exam, latecomer = rush
    page = pages.new(viewport={"width": 1200, "height": 1000})
    log_in(page, examiner)
    page.goto(exam.get_absolute_url())
    expect(page.get_by_test_id("submitted-count")).to_have_text("Submitted 30 of 40")
    expect(page.get_by_test_id("upload-chart")).to_be_visible()
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.get_by_test_id("roster-stale")).to_be_hidden()

    student = pages.new()
    student.goto(latecomer.get_upload_url())
    student.get_by_label("Your answer file").set_input_files(answer_file(tmp_path, 50_000))
    student.get_by_role("button", name="Upload").click()
    student.wait_for_url("**/receipt/**")

    expect(page.get_by_test_id("submitted-count")).to_have_text("Submitted 31 of 40")
    expect(page.get_by_test_id("waiting-count")).to_have_text("9 not yet submitted")
    newest = page.get_by_test_id("newest-uploads").get_by_role("listitem").first
    expect(newest).to_contain_text(latecomer.full_name)
    # The roster below is the page's own: it says so, and offers the fresh one.
    stale = page.get_by_test_id("roster-stale")
    expect(stale).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is True
    shot(
        page, "exam-live", docs="exam-live.png", clip={"x": 0, "y": 0, "width": 1200, "height": 860}
    )
    stale.get_by_role("link", name="Reload the list").click()
    expect(page.locator(".roster-summary")).to_contain_text("9 not yet submitted")
    expect(page.get_by_test_id("roster-stale")).to_be_hidden()


def test_the_polling_pauses_in_a_hidden_tab_and_stops_once_the_exam_closes(
    pages, examiner, rush, monkeypatch
):
    monkeypatch.setattr(live, "POLL_SECONDS", 1)
    exam, _ = rush
    page = pages.new()
    log_in(page, examiner)
    seen = live_requests(page)
    page.goto(exam.get_absolute_url())
    page.wait_for_timeout(2500)
    assert seen, "the open exam's page polls"

    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", { value: true, configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(500)
    hidden_from = len(seen)
    page.wait_for_timeout(3000)
    assert len(seen) == hidden_from, "a hidden tab does not poll"

    exam.set_manual_state("closed")
    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", { value: false, configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.locator("#live[data-refresh]")).to_have_count(0)
    closed_at = len(seen)
    page.wait_for_timeout(3000)
    assert len(seen) == closed_at, "a closed exam's page stops polling"

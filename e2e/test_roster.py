"""The roster in a real Chromium: on a 1280 px window it fits without clipping, on a 375 px
phone it becomes one card per student with name and status; the filters apply on change;
a bulk action goes through its confirmation."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import has_sideways_scroll, log_in, shot
from students.tests.factories import StudentFactory, SubmissionFactory


def fill_roster(exam):
    now = timezone.now()
    exam.closes_at = now + timedelta(days=1)
    exam.save()
    names = [
        ("Grace", "Hopper"),
        ("Jan", "Łukasiewicz"),
        ("Ana", "Šimić"),
        ("Jörg", "Müller"),
        ("Katherine", "Johnson-Wellington-Smythe"),
        ("Alan", "Turing"),
        ("Ada", "Lovelace"),
        ("Edsger", "Dijkstra"),
    ]
    students = [
        StudentFactory(
            exam=exam, first_name=first, last_name=last, email=f"{first.lower()}@example.edu"
        )
        for first, last in names
    ]
    for student in students[:4]:
        SubmissionFactory(student=student, stored=True, original_name="answer.pdf")
        student.uploads_used = 1
        student.save(update_fields=["uploads_used"])
    SubmissionFactory.create(student=students[4], late_by=timedelta(minutes=12))
    students[5].uploads_used = exam.max_uploads
    students[5].save(update_fields=["uploads_used"])
    students[6].extend_deadline(now + timedelta(days=3))
    students[7].give_extra_uploads(2)
    return students


def no_clipping(page):
    """Nothing wider than its box: the page and the roster's table both fit."""
    return not has_sideways_scroll(page) and page.evaluate(
        "() => [...document.querySelectorAll('.table-wrap')]"
        ".every(wrap => wrap.scrollWidth <= wrap.clientWidth)"
    )


def test_the_roster_fits_a_desktop_and_filters_on_change(pages, examiner, exam):
    fill_roster(exam)
    page = pages.new(viewport={"width": 1280, "height": 900})
    log_in(page, examiner)
    page.goto(exam.get_absolute_url())

    roster = page.get_by_role("table")
    expect(roster.get_by_role("row", name="Edsger Dijkstra")).to_contain_text("2 extra uploads")
    expect(roster.get_by_role("row", name="Alan Turing")).to_contain_text("no uploads left")
    expect(roster.get_by_role("row", name="Ada Lovelace")).to_contain_text("extension to")
    expect(roster.get_by_role("row", name="Grace Hopper")).to_contain_text("submitted")
    expect(roster.get_by_role("link", name="Download the file of Grace Hopper")).to_be_visible()
    assert no_clipping(page)
    # Ł after L, Š after S, by the alphabet rather than code points.
    assert roster.locator("tbody td.name a").all_inner_texts() == [
        "Edsger Dijkstra",
        "Grace Hopper",
        "Katherine Johnson-Wellington-Smythe",
        "Ada Lovelace",
        "Jan Łukasiewicz",
        "Jörg Müller",
        "Ana Šimić",
        "Alan Turing",
    ]
    shot(page, "roster-desktop", docs="roster-desktop.png", full_page=True)

    page.get_by_label("Show").select_option("waiting")  # no Apply: it applies on change
    page.wait_for_url("**show=waiting**")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(4)
    page.get_by_label("Show").select_option("")
    page.wait_for_url("**show=&**")
    page.get_by_label("Search").fill("lukasiewicz")
    page.wait_for_url("**q=lukasiewicz**")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("table")).to_contain_text("Jan Łukasiewicz")


def test_the_roster_is_one_card_per_student_on_a_phone(pages, examiner, exam):
    fill_roster(exam)
    page = pages.new(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    log_in(page, examiner)
    page.goto(exam.get_absolute_url())

    card = page.get_by_role("row", name="Alan Turing")
    expect(card.get_by_role("link", name="Alan Turing")).to_be_visible()
    expect(card.locator(".status")).to_be_visible()
    expect(card.locator(".status")).to_contain_text("no uploads left")
    box = card.bounding_box()
    assert box["width"] <= 375 and box["height"] > 100  # a card, not a squeezed table row
    assert no_clipping(page)
    card.scroll_into_view_if_needed()
    shot(page, "roster-phone", docs="roster-phone.png", full_page=True)


def test_a_bulk_action_goes_through_its_confirmation(pages, examiner, exam):
    students = fill_roster(exam)
    page = pages.new(viewport={"width": 1280, "height": 900})
    log_in(page, examiner)
    page.goto(exam.get_absolute_url())

    page.get_by_label("Select Grace Hopper").check()
    page.get_by_label("Select Ada Lovelace").check()
    page.get_by_role("button", name="Give extra uploads").click()

    expect(page.get_by_test_id("bulk-summary")).to_contain_text("2 students get the number")
    page.get_by_label("Extra uploads for each").fill("3")
    shot(page, "bulk-confirm")
    shot(page, "roster-bulk-confirm", docs="roster-bulk-confirm.png")
    assert not exam.students.filter(extra_uploads=3).exists()
    page.get_by_role("button", name="Give to 2 students").click()

    expect(page.get_by_text("2 students now have 3 extra uploads each.")).to_be_visible()
    assert set(exam.students.filter(extra_uploads=3)) == {students[0], students[6]}
    expect(page.get_by_role("row", name="Grace Hopper")).to_contain_text("3 extra uploads")

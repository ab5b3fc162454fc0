"""The examiner's view of committed files in a real Chromium, in English and German, on a
desktop and a 375 px phone: the roster says whose file is awaited and until when (with the
zone), and a student's page tells each commitment's story, an expired one included."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.helpers import has_sideways_scroll, log_in, shot
from students.tests.factories import StudentFactory
from submissions.models import Commitment
from submissions.tests.helpers import commit_file

WORDS = {
    "en": ("Committed, awaiting the file until", "the file never came: expired at", "CET"),
    "de": ("Fingerabdruck festgehalten, Datei erwartet bis", "die Datei kam nie", "MEZ"),
}


@pytest.fixture
def committed(exam, local_storage):
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = timezone.now() + timedelta(days=1)
    exam.save()
    awaited = StudentFactory(exam=exam, first_name="Ada", last_name="Lovelace")
    StudentFactory(exam=exam, first_name="Alan", last_name="Turing")
    expired = commit_file(awaited, b"%PDF-1.7 an earlier one", name="Entwurf.pdf")
    Commitment.objects.filter(pk=expired.pk).update(state=Commitment.State.EXPIRED)
    commit_file(awaited, name="Lösung.pdf")
    return awaited


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", [1280, 375])
def test_the_examiner_sees_committed_files(pages, examiner, exam, committed, language, width):
    awaiting, expired, zone = WORDS[language]
    page = pages.new(
        viewport={"width": width, "height": 900},
        has_touch=width < 500,
        is_mobile=width < 500,
    )
    log_in(page, examiner)
    if language == "de":
        page.context.add_cookies([{"name": "django_language", "value": "de", "url": page.url}])

    page.goto(exam.get_absolute_url())
    note = page.get_by_test_id("committed")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(awaiting)
    expect(note).to_contain_text(zone)
    assert not has_sideways_scroll(page)
    shot(page, f"commitments-roster-{language}-{width}", full_page=width > 500)

    page.goto(committed.get_absolute_url())
    expect(page.get_by_text(expired, exact=False)).to_be_visible()
    expect(page.get_by_text(awaiting, exact=False).first).to_be_visible()
    assert not has_sideways_scroll(page)
    shot(page, f"commitments-student-{language}-{width}", full_page=width > 500)

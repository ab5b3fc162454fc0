"""The language of the pages: the browser's, or the one chosen with the switcher on every
page; dates, times and sizes written as that language writes them."""

import datetime
import zoneinfo
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from students.tests.factories import SubmissionFactory
from students.times import duration, format_time, writer
from submissions.tests.helpers import upload_url

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WINTER = datetime.datetime(2026, 12, 8, 17, 0, tzinfo=datetime.UTC)  # 18:00 in Berlin
SUMMER = datetime.datetime(2026, 7, 8, 16, 0, tzinfo=datetime.UTC)  # 18:00 in Berlin


def test_english_is_the_default(client):
    page = client.get(reverse("home")).content.decode()

    assert '<html lang="en">' in page
    assert "Verify a code" in page


def test_a_german_browser_gets_german_pages(client, student):
    for url in [reverse("home"), upload_url(student), reverse("submissions:verify")]:
        response = client.get(url, **GERMAN)

        page = response.content.decode()
        assert '<html lang="de">' in page, url
        assert "Prüfcode nachsehen" in page, url
        assert response["Content-Language"] == "de"


def test_every_page_has_the_switcher_with_each_language_in_its_own_words(client, student):
    for url in [reverse("home"), upload_url(student), reverse("login")]:
        page = client.get(url).content.decode()

        assert f'action="{reverse("set_language")}"' in page, url
        assert '<button type="submit" class="link" name="language" value="de" lang="de">' in page
        assert 'lang="en" aria-current="true">English</span>' in page


def test_the_switch_works_from_a_students_page_without_a_cookie_or_token(student):
    """The upload page sets no cookie and sends no Referer, so its forms arrive with
    `Origin: null` and no CSRF token: the switch must work all the same."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(upload_url(student))
    assert page.cookies == {}

    response = browser.post(
        reverse("set_language"),
        {"language": "de", "next": upload_url(student)},
        HTTP_ORIGIN="null",
        secure=True,
    )

    assert response.status_code == 302
    assert response["Location"] == upload_url(student)
    assert response.cookies["django_language"].value == "de"
    again = browser.get(upload_url(student)).content.decode()
    assert '<html lang="de">' in again
    assert "Laden Sie Ihre Antwort hoch" in again


def test_the_chosen_language_beats_the_browsers(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    page = client.get(reverse("home"), **GERMAN).content.decode()

    assert '<html lang="en">' in page


def test_the_switch_goes_back_only_to_our_own_pages(client):
    response = client.post(
        reverse("set_language"), {"language": "de", "next": "https://elsewhere.example/"}
    )

    assert response["Location"] == "/"


def test_the_scripts_words_come_as_a_script_file(client, student):
    page = client.get(upload_url(student), **GERMAN).content.decode()
    catalog = client.get(reverse("javascript_catalog"), **GERMAN)

    assert f'<script src="{reverse("javascript_catalog")}" defer></script>' in page
    assert "<script>" not in page
    assert catalog["Content-Type"].startswith("text/javascript")
    assert "Wird hochgeladen" in catalog.content.decode()


def test_the_scripts_words_are_built_once_per_language_and_kept_by_the_browser(client):
    """Each language's catalog from the process's own copy (German asked first must not
    answer an English page), kept by browsers an hour, then answered 304 if unchanged."""
    german = client.get(reverse("javascript_catalog"), **GERMAN)
    english = client.get(reverse("javascript_catalog"), HTTP_ACCEPT_LANGUAGE="en")
    again = client.get(
        reverse("javascript_catalog"),
        HTTP_IF_MODIFIED_SINCE=german["Last-Modified"],
        **GERMAN,
    )

    assert "Wird hochgeladen" in german.content.decode()
    assert "Wird hochgeladen" not in english.content.decode()
    assert english["Content-Type"] == german["Content-Type"]
    assert german["Cache-Control"] == "max-age=3600"
    assert "Accept-Language" in german["Vary"]
    assert again.status_code == 304
    assert again.content == b""


def test_times_are_written_as_german_writes_them_with_the_zone_named():
    with translation.override("de"):
        assert format_time(WINTER, zone=BERLIN) == "8. Dezember 2026, 18:00 MEZ"
        assert format_time(SUMMER, zone=BERLIN) == "8. Juli 2026, 18:00 MESZ"
        assert format_time(WINTER, "long", BERLIN) == "Dienstag, 8. Dezember 2026, 18:00 MEZ"
        assert format_time(WINTER, "short", BERLIN) == "8. Dez., 18:00 MEZ"
        assert format_time(WINTER, zone=zoneinfo.ZoneInfo("UTC")) == "8. Dezember 2026, 17:00 UTC"
    assert format_time(WINTER, zone=BERLIN) == "8 Dec 2026, 18:00 CET"


def test_one_writer_of_many_times_names_each_times_own_zone():
    """A roster page writes its times with one writer (translated once): winter and summer
    times still get their own zone's name."""
    with translation.override("de"):
        write = writer("short", BERLIN)

        assert [write(WINTER), write(SUMMER), write(None)] == [
            "8. Dez., 18:00 MEZ",
            "8. Juli, 18:00 MESZ",
            "",
        ]


def test_a_zone_without_an_abbreviation_keeps_its_offset():
    with translation.override("de"):
        shown = format_time(WINTER, zone=zoneinfo.ZoneInfo("Europe/Istanbul"))

    assert shown == "8. Dezember 2026, 20:00 UTC+03"


def test_sizes_have_the_german_decimal_mark_and_codes_stay_as_they_are(client, student):
    student.exam.max_upload_bytes = 3 * 1024 * 1024
    student.exam.save()
    submission = SubmissionFactory(student=student, size=1_572_864, original_name="Lösung_1.pdf")

    upload = client.get(upload_url(student), **GERMAN).content.decode()
    found = client.get(
        reverse("submissions:verify"), {"code": submission.verification_code}, **GERMAN
    ).content.decode()

    assert "Höchstens 3,0\xa0MB." in upload
    assert "1,5\xa0MB (1572864 Bytes)" in found
    assert submission.display_code in found
    assert submission.sha256 in found
    assert "Lösung_1.pdf" in found


def test_the_not_found_page_speaks_german(client):
    response = client.get("/u/no-such-code/", **GERMAN)

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "Diese Seite haben wir nicht gefunden" in page


def test_a_countdown_in_german_declines_its_days(client, student):
    """ "Öffnet in 224 Tagen", not "in 224 Tage"; "noch 2 Tage" stays as it is."""
    exam = student.exam
    exam.opens_at = timezone.now() + timedelta(days=224, hours=1)
    exam.save()

    page = client.get(upload_url(student), **GERMAN).content.decode()

    assert "Öffnet in 224 Tagen" in page
    with translation.override("de"):
        assert duration(timedelta(days=2)) == "2 Tage"
        assert duration(timedelta(days=2), within=True) == "2 Tagen"

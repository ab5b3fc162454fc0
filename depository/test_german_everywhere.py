"""Every mail and page, rendered in German, has no English word in it: what the German
catalog never says, and English weekdays and months, fail the test wherever they appear
(in a subject, a date, a size, a heading). Names, codes and addresses are the test's own."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import polib
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from depository.test_catalogs import catalog
from students import accounts, mail
from students.models import ExamMail, Mail, Mailing
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions import mail as submission_mail
from submissions.models import Commitment, Submission
from submissions.tests.helpers import commit_file, post_upload, upload_url

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
NOW = datetime(2030, 12, 2, 9, 0, tzinfo=UTC)  # a Monday
DUE = datetime(2030, 12, 9, 17, 0, tzinfo=UTC)

# Words both languages write alike, the product's name, and the regions of time zone names
# (Europe/Berlin is a code, shown as tzdata writes it).
ALLOWED = {"exam", "depository", "sha", "pdf", "zip", "csv", "api", "json", "docx", "utc"}
ALLOWED |= {"europe", "america", "africa", "asia", "pacific", "atlantic", "indian", "arctic"}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
MONTHS = {"january", "february", "march", "may", "june", "july", "october", "december"}
ENGLISH_CALENDAR = WEEKDAYS | MONTHS | {"mon", "tue", "wed", "thu", "fri", "jun", "jul", "oct"}


def words(text):
    """Lower-case words of three letters or more; codes (with digits or inner capitals),
    addresses and links left out."""
    text = re.sub(r"\S+@\S+|https?://\S+|/\S*", " ", text)
    found = set()
    for word in re.findall(r"\w+", text):
        if len(word) < 3 or re.search(r"[\d_]", word) or re.search(r"[A-Z]", word[1:]):
            continue
        found.add(word.lower())
    return found


def vocabularies():
    """(words of the English source strings, words of their German translations)."""
    english, german = set(), set()
    for domain in ("django", "djangojs"):
        for entry in polib.pofile(str(catalog("de", domain))):
            english |= words(entry.msgid) | words(entry.msgid_plural or "")
            german |= words(entry.msgstr)
            for text in entry.msgstr_plural.values():
                german |= words(text)
    return english, german


def english_only():
    """Words of the English source strings that no German translation uses."""
    english, german = vocabularies()
    return (english - german - ALLOWED) | ENGLISH_CALENDAR


def german_only():
    """Words of the German translations that no English source string uses."""
    english, german = vocabularies()
    return german - english - ALLOWED - {"depository"}


ENGLISH = english_only()
GERMAN_WORDS = german_only()


class Text(HTMLParser):
    """What a reader sees of a page: its text and the attributes read out or shown. Text
    marked as English (lang="en": the language switcher, the audit trail's stored
    details) is English on purpose and says so to a screen reader."""

    SHOWN = {"title", "aria-label", "placeholder", "alt", "data-label"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self):
        super().__init__()
        self.parts, self.open = [], []

    def hidden(self):
        return any(hides for _tag, hides in self.open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hides = tag in {"script", "style", "svg"} or attrs.get("lang") == "en"
        if not (hides or self.hidden()):
            self.parts += [attrs[name] or "" for name in self.SHOWN if name in attrs]
        if tag not in self.VOID:
            self.open.append((tag, hides))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not self.hidden():
            self.parts.append(data)


def visible(html):
    parser = Text()
    parser.feed(html)
    return " ".join(parser.parts)


def english_in(text, also=()):
    return sorted((words(text) - set(also)) & ENGLISH)


@pytest.fixture
def term(examiner):
    """A German exam in Berlin's zone with a submission, an extension and a late one."""
    examiner.email = "pruefer@example.edu"
    examiner.is_superuser = True  # for the invitation page
    examiner.save()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        exam = ExamFactory(
            owner=examiner,
            title="Analysis Klausur",
            language="de",
            time_zone="Europe/Berlin",
            closes_at=DUE,
            cutoff_at=DUE + timedelta(hours=2),
            instructions="Bitte eine PDF-Datei.",
            contact="pruefungsamt@example.edu",
            statement="Ich versichere, dass dies meine eigene Arbeit ist.",
        )
        ExamMail.objects.create(exam=exam, notify_deadline=True, notify_deletion=True)
        names = {"first_name": "Grete", "last_name": "Weber"}
        done = StudentFactory(exam=exam, nickname="abgabe", **names)
        StudentFactory(exam=exam, nickname="warten", extended_until=DUE + timedelta(days=1))
    return exam, done


def test_every_mail_in_german_is_german_whole(term, settings):
    exam, done = term
    settings.SITE_URL = "https://depository.test"
    with time_machine.travel(NOW, tick=False):
        post_upload(
            Client(**GERMAN), done, b"%PDF-1.7 " + b"x" * 2_500_000, "loesung.pdf", statement="on"
        )
        submission = Submission.objects.with_expiry().get(student=done)
        with translation.override("en"):  # the worker's, or the examiner's English screen
            # Queued with the upload, written by the worker as it sends it.
            receipt = Mail.objects.get(kind=Mail.Kind.RECEIPT)
            mail.render_mail(receipt)
            receipt.save()
            for kind in Mailing.Kind:
                subject, message = mail.words(exam, kind)
                mailing = mail.queue_mailing(exam, kind, subject, message, exam.students.all())
                for row in mailing.mails.all():
                    mail.render_mailing_mail(row)
                    row.save()
            accounts.invite("neu@example.edu", invited_by=exam.owner, lang="de")
            ids = list(exam.students.values_list("pk", flat=True))
            mail.queue_student_notices(Mail.Kind.EXTENSION, ids, "now")
            mail.queue_student_notices(Mail.Kind.EXTRA_UPLOADS, ids, "now")
            colleague = UserFactory(email="kollegin@example.edu")
            with translation.override("de"):  # the sharer's, the requester's German screen
                mail.queue_shared_notice(exam, colleague, by=exam.owner)
                reset = accounts.QueuedPasswordResetForm({"email": exam.owner.email})
                assert reset.is_valid()
                reset.save(domain_override="depository.test")
    with time_machine.travel(NOW, tick=False), translation.override("de"):  # a German page
        commitment = commit_file(done, name="nachtrag.pdf", statement_accepted=True)
    with time_machine.travel(commitment.remind_at(), tick=False), translation.override("en"):
        submission_mail.queue_delivery_reminders()
        reminder = Mail.objects.get(kind=Mail.Kind.DELIVERY_REMINDER)
        mail.render_mail(reminder)
        reminder.save()
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False), translation.override("en"):
        mail.queue_deadline_notices()
    with (
        time_machine.travel(submission.expires_at - timedelta(hours=12), tick=False),
        translation.override("en"),
    ):
        submission_mail.queue_deletion_notices()

    mails = list(Mail.objects.all())
    kinds = {row.kind for row in mails}
    assert kinds >= {"receipt", "link", "reminder", "deadline_passed", "deletion_soon"}
    assert kinds >= {"invitation", "extension", "extra_uploads", "shared", "password_reset"}
    assert "delivery_reminder" in kinds
    for row in mails:
        text = f"{row.subject}\n{row.text}\n{visible(row.html)}"
        assert english_in(text) == [], (row.kind, text)
        assert '<html lang="de">' in row.html, row.kind
    receipt = next(row for row in mails if row.kind == "receipt")
    assert "Größe: 2,4\xa0MB (2.500.009 Bytes)" in receipt.text
    assert "Angenommen: Montag, 2. Dezember 2030, 10:00 MEZ" in receipt.text


def pages(exam, done):
    student_pk = done.pk
    submission = done.submissions.get()
    examiner_pages = [
        reverse("students:exam_list"),
        reverse("students:exam_create"),
        reverse("students:exam_list_archived"),
        reverse("students:time_zone"),
        reverse("api_tokens:list"),
        reverse("students:examiner_invite"),
        reverse("students:import_upload", args=[exam.pk]),
        exam.get_absolute_url(),
        reverse("students:exam_edit", args=[exam.pk]),
        reverse("students:exam_duplicate", args=[exam.pk]),
        reverse("students:exam_delete", args=[exam.pk]),
        reverse("students:exam_archive", args=[exam.pk]),
        reverse("students:exam_sharing", args=[exam.pk]),
        reverse("students:exam_slips", args=[exam.pk]),
        reverse("students:exam_mail_settings", args=[exam.pk]),
        reverse("students:mail_links", args=[exam.pk]),
        reverse("students:mail_reminder", args=[exam.pk]),
        reverse("students:student_create", args=[exam.pk]),
        reverse("students:student_detail", args=[exam.pk, student_pk]),
        reverse("students:student_edit", args=[exam.pk, student_pk]),
        reverse("students:student_extension", args=[exam.pk, student_pk]),
        reverse("students:student_extra_uploads", args=[exam.pk, student_pk]),
        reverse("students:student_remove", args=[exam.pk, student_pk]),
        reverse("students:student_new_link", args=[exam.pk, student_pk]),
        reverse("submissions:preview", args=[exam.pk]),
        reverse("submissions:preview", args=[exam.pk, student_pk]),
    ]
    public_pages = [
        reverse("home"),
        reverse("login"),
        reverse("password_reset"),
        reverse("submissions:verify"),
        reverse("submissions:verify") + f"?code={submission.verification_code}",
        upload_url(done),
        reverse("submissions:receipt", args=[done.upload_code, submission.verification_code]),
    ]
    return examiner_pages, public_pages


def test_every_page_in_german_is_german_whole(term, examiner_client):
    exam, done = term
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        commit_file(done, name="verloren.pdf", statement_accepted=True)  # its file never came
    Commitment.objects.expire_overdue(NOW)
    with time_machine.travel(NOW, tick=False):
        post_upload(Client(**GERMAN), done, name="loesung.pdf", statement="on")
        commit_file(done, name="nachtrag.pdf", statement_accepted=True)  # awaited on the pages
        examiner_client.force_login(exam.owner)  # a session of this (travelled) time
        examiner_pages, public_pages = pages(exam, done)
        # The examiner's own words (title, instructions) and the names are German already.
        for url in examiner_pages:
            response = examiner_client.get(url, **GERMAN)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert '<html lang="de">' in html, url
            assert english_in(visible(html)) == [], url
        for url in public_pages:
            response = Client().get(url, **GERMAN)
            assert response.status_code == 200, url
            assert english_in(visible(response.content.decode())) == [], url


def test_the_word_check_finds_an_english_word_in_german_text():
    """The check itself: an untranslated sentence or an English date is caught."""
    assert english_in("Ihre Datei wurde angenommen.") == []
    assert english_in("Angenommen: Monday 7 December 2026, 16:36 CET") == ["december", "monday"]
    assert "uploaded" in english_in("Your file was uploaded.")
    assert english_in("Code 8VhNPZJ2dKHGkqkp s00001@example.edu https://x.test/u/the/") == []


def test_an_english_students_mail_on_a_german_exam_is_english_whole(term, settings):
    """The other way round: a student whose own language is English gets no German word,
    though the exam is German and the examiner's screen too."""
    exam, _done = term
    english = StudentFactory(exam=exam, language="en", first_name="Jane", last_name="Doe")
    with time_machine.travel(NOW, tick=False), translation.override("de"):
        for kind in Mailing.Kind:
            subject, message = mail.words(exam, kind)  # the form shows the exam's German
            queued = mail.queue_mailing(
                exam, kind, subject, message, exam.students.filter(pk=english.pk)
            )
            for row in queued.mails.all():
                mail.render_mailing_mail(row)
                row.save()
        mail.queue_student_notices(Mail.Kind.EXTENSION, [english.pk], "now")

    mails = list(Mail.objects.filter(student=english))
    assert len(mails) == 3
    for row in mails:
        text = f"{row.subject}\n{row.text}\n{visible(row.html)}"
        own = words(f"{exam.title} {exam.instructions}")  # the examiner's own words
        assert sorted((words(text) - own) & GERMAN_WORDS) == [], (row.kind, text)
        assert '<html lang="en">' in row.html, row.kind

"""An exam's language and a student's own: which language their mails are written in, and
the roster import's optional language column."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from students import mail
from students.models import Exam, ExamMail, Mail
from students.tests.factories import ExamFactory, StudentFactory
from students.tests.test_import import preview

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
NEW_EXAM = {
    "title": "Physik, Klausur",
    "closes_at": "2030-06-01T12:00",
    "max_upload_mb": "3",
    "max_uploads": 5,
    "delivery_minutes": 30,
    "time_zone": "Europe/Berlin",
    "retention_days": 3,
}


def test_a_new_exam_takes_the_language_its_examiner_uses(examiner_client):
    form = examiner_client.get(reverse("students:exam_create"), **GERMAN).context["form"]
    assert form["language"].value() == "de"

    examiner_client.post(reverse("students:exam_create"), NEW_EXAM, **GERMAN)
    examiner_client.post(reverse("students:exam_create"), {**NEW_EXAM, "title": "Physics"})

    assert Exam.objects.get(title="Physik, Klausur").language == "de"
    assert Exam.objects.get(title="Physics").language == "en"


def test_the_examiner_picks_the_exams_language(examiner_client):
    examiner_client.post(reverse("students:exam_create"), {**NEW_EXAM, "language": "en"}, **GERMAN)

    assert Exam.objects.get().language == "en"


def test_a_language_the_site_does_not_offer_is_refused(examiner_client):
    response = examiner_client.post(reverse("students:exam_create"), {**NEW_EXAM, "language": "fr"})

    assert response.status_code == 422
    assert "language" in response.context["form"].errors
    assert not Exam.objects.exists()


def queue_links(examiner_client, exam, django_capture_on_commit_callbacks):
    data = {
        "audience": "all",
        "subject": "{exam}",
        "message": "{name}: {link} ({deadline})",
        "send": "1",
        "expected": str(exam.students.exclude(email="").count()),
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = examiner_client.post(reverse("students:mail_links", args=[exam.pk]), data)
    assert response.status_code == 302


def test_mails_go_out_in_the_students_language_else_the_exams(
    examiner_client, examiner, django_capture_on_commit_callbacks
):
    exam = ExamFactory(owner=examiner, language="de", time_zone="Europe/Berlin")
    exam.closes_at = "2030-12-08T17:00:00+00:00"
    exam.save()
    own = StudentFactory(exam=exam, language="en")
    theirs = StudentFactory(exam=exam, language="")

    queue_links(examiner_client, exam, django_capture_on_commit_callbacks)

    english, german = Mail.objects.get(student=own), Mail.objects.get(student=theirs)
    assert (english.language, german.language) == ("en", "de")
    mail.render_mailing_mail(german)
    mail.render_mailing_mail(english)
    assert "8. Dezember 2030, 18:00 MEZ" in german.text
    assert "Automatisch gesendet von Exam Depository" in german.text
    assert "8 December 2030, 18:00 CET" in english.text
    assert "Sent automatically by Exam Depository" in english.text


def test_the_preview_shows_the_mail_in_its_students_language(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, language="de")
    StudentFactory(exam=exam)

    response = examiner_client.post(
        reverse("students:mail_links", args=[exam.pk]),
        {"audience": "all", "subject": "{exam}", "message": "{name}", "preview": "1"},
    )

    assert "Automatisch gesendet von Exam Depository" in response.context["preview"].text


def test_the_import_reads_a_language_column_in_either_spelling(examiner_client, exam):
    for header in ["language", "Sprache"]:
        text = f"nickname;first name;last name;{header}\ns1;Ada;Lovelace;DE\ns2;Grace;Hopper;\n"

        rows = preview(examiner_client, exam, text).context["preview"].rows

        assert [(row.language, row.errors) for row in rows] == [("de", []), ("", [])], header


@pytest.mark.parametrize(
    ("written", "read"), [("de", "de"), ("de-AT", "de"), ("de_DE", "de"), ("Deutsch", "de")]
)
def test_a_language_is_read_as_the_site_names_it(examiner_client, exam, written, read):
    text = f"nickname;first name;last name;language\ns1;Ada;Lovelace;{written}\n"

    [row] = preview(examiner_client, exam, text).context["preview"].rows

    assert (row.language, row.errors) == (read, [])


def test_a_language_the_site_does_not_offer_is_the_rows_error(examiner_client, exam):
    text = "nickname;first name;last name;language\ns1;Ada;Lovelace;fr\n"

    response = preview(examiner_client, exam, text)

    [row] = response.context["preview"].rows
    assert row.errors == ["“fr” is not a language we offer. Use one of en, de, or leave it empty."]


def test_imported_students_keep_their_language(examiner_client, exam):
    text = "nickname;first name;last name;Sprache\ns1;Ada;Lovelace;de\ns2;Grace;Hopper;\n"
    page = preview(examiner_client, exam, text)
    pending = page.context["pending"]

    examiner_client.post(reverse("students:import_confirm", args=[exam.pk, pending.pk]))

    assert dict(exam.students.values_list("nickname", "language")) == {"s1": "de", "s2": ""}


def test_the_automatic_reminder_takes_its_default_words_in_the_exams_language(examiner):
    exam = ExamFactory(owner=examiner, language="de")
    exam.closes_at = timezone.now() + timedelta(hours=2)
    exam.save()
    ExamMail.objects.create(exam=exam, reminder_hours=3)
    StudentFactory(exam=exam)

    assert mail.queue_automatic_reminders() == 1

    reminder = Mail.objects.get(mailing__exam=exam)
    mail.render_mailing_mail(reminder)
    assert reminder.subject.startswith(f"Erinnerung: Abgabefrist für {exam.title} ist ")


def test_default_words_sent_from_an_english_screen_reach_each_student_in_their_language(
    examiner_client, examiner, django_capture_on_commit_callbacks
):
    """The form shows the default words in the exam's language; sent unchanged, each
    student gets them in their own (the sender's screen decides nothing)."""
    exam = ExamFactory(owner=examiner, language="de")
    german, english = StudentFactory(exam=exam), StudentFactory(exam=exam, language="en")
    url = reverse("students:mail_links", args=[exam.pk])

    form = examiner_client.get(url, HTTP_ACCEPT_LANGUAGE="en").context["form"]
    data = {
        "audience": "all",
        "subject": form.initial["subject"],
        "message": form.initial["message"],
        "send": "1",
        "expected": "2",
    }
    with django_capture_on_commit_callbacks(execute=False):
        examiner_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert form.initial["subject"] == "Ihr Upload-Link für {exam}"
    to_german, to_english = Mail.objects.get(student=german), Mail.objects.get(student=english)
    mail.render_mailing_mail(to_german)
    mail.render_mailing_mail(to_english)
    assert to_german.subject == f"Ihr Upload-Link für {exam.title}"
    assert "hier ist Ihr persönlicher Link" in to_german.text
    assert to_english.subject == f"Your upload link for {exam.title}"
    assert "here is your personal link" in to_english.text

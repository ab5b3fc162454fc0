"""An exam's life as a student meets it: opening, due time, cut-off and late uploads,
instructions, the statement, the last upload, and checking one's own file."""

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload, upload_url

pytestmark = pytest.mark.django_db

OPENS = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
DUE = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
CUTOFF = DUE + timedelta(hours=2)
SECOND = timedelta(seconds=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def upload_at(client, student, moment, **fields):
    with at(moment):
        return post_upload(client, student, **fields)


def page_at(client, student, moment):
    with at(moment):
        return client.get(upload_url(student)).content.decode()


def late_exam(**fields):
    return ExamFactory(closes_at=DUE, cutoff_at=CUTOFF, time_zone="UTC", **fields)


# --- Opening --------------------------------------------------------------------------


def test_before_it_opens_the_page_says_when_and_offers_no_form(client):
    student = StudentFactory(exam=ExamFactory(opens_at=OPENS, closes_at=DUE, time_zone="UTC"))

    html = page_at(client, student, OPENS - timedelta(hours=2))

    assert "Uploads open on Saturday 1 June 2030, 08:00 UTC" in html
    assert "Opens in 2 h" in html
    assert '<input type="file"' not in html


def test_a_post_before_it_opens_is_refused_and_counts_nothing(client, local_storage):
    student = StudentFactory(exam=ExamFactory(opens_at=OPENS, closes_at=DUE, time_zone="UTC"))

    response = upload_at(client, student, OPENS - SECOND)

    student.refresh_from_db()
    assert response.status_code == 403
    assert "open on Saturday 1 June 2030, 08:00 UTC" in response.content.decode()
    assert "no upload was used" in response.content.decode()
    assert student.uploads_used == 0 and not Submission.objects.exists()
    assert not [path for path in local_storage.rglob("*") if path.is_file()]


def test_an_upload_at_the_opening_moment_is_accepted(client):
    student = StudentFactory(exam=ExamFactory(opens_at=OPENS, closes_at=DUE))

    assert upload_at(client, student, OPENS).status_code == 302


def test_opening_by_hand_lets_uploads_in_before_the_opening_time(client):
    student = StudentFactory(exam=ExamFactory(opens_at=OPENS, manual_state="open"))

    assert upload_at(client, student, OPENS - timedelta(days=1)).status_code == 302


# --- Due time, cut-off and late uploads -------------------------------------------------


def test_an_upload_before_the_due_time_is_on_time(client):
    student = StudentFactory(exam=late_exam())

    assert upload_at(client, student, DUE - SECOND).status_code == 302
    assert Submission.objects.get().late_by is None


def test_an_upload_at_the_due_time_is_late(client):
    student = StudentFactory(exam=late_exam())

    assert upload_at(client, student, DUE).status_code == 302
    assert Submission.objects.get().late_by == timedelta(0)


def test_an_upload_between_due_and_cut_off_is_accepted_and_marked_late(client):
    student = StudentFactory(exam=late_exam())

    response = upload_at(client, student, DUE + timedelta(minutes=75))

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert submission.late_by == timedelta(minutes=75)
    receipt = client.get(response["Location"]).content.decode()
    assert "late by 1 h 15 min" in receipt
    event = Event.objects.get(kind=Event.Kind.UPLOAD_ACCEPTED)
    assert "late by 1 h 15 min" in event.detail


def test_the_last_second_before_the_cut_off_is_accepted_and_the_cut_off_is_refused(client):
    first, second = StudentFactory.create_batch(2, exam=late_exam())

    assert upload_at(client, first, CUTOFF - SECOND).status_code == 302
    refused = upload_at(client, second, CUTOFF)

    assert refused.status_code == 403
    assert "Uploads for this exam are closed" in refused.content.decode()
    second.refresh_from_db()
    assert second.uploads_used == 0


def test_without_a_cut_off_the_due_time_is_the_end(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE))

    assert upload_at(client, student, DUE).status_code == 403
    assert not Submission.objects.exists()


def test_during_the_late_window_the_page_warns_the_file_will_be_late(client):
    student = StudentFactory(exam=late_exam())

    html = page_at(client, student, DUE + timedelta(minutes=30))

    assert "The due time has passed" in html and "marked late" in html
    assert "Sunday" not in html  # sanity: the date is the exam's day
    assert "1 h 30 min" in html  # left until the cut-off


def test_an_extension_moves_the_due_time_and_the_cut_off(client):
    student = StudentFactory(exam=late_exam(), extended_until=DUE + timedelta(days=1))

    on_time = upload_at(client, student, DUE + timedelta(hours=23))
    assert on_time.status_code == 302 and Submission.objects.get().late_by is None

    late = upload_at(client, student, DUE + timedelta(days=1, hours=1))
    assert late.status_code == 302
    assert Submission.objects.current().get().late_by == timedelta(hours=1)
    assert upload_at(client, student, DUE + timedelta(days=1, hours=2)).status_code == 403


def test_late_uploads_show_on_the_roster_csv_zip_manifest_and_students_page(
    examiner_client, examiner
):
    exam = late_exam(owner=examiner)
    student = StudentFactory(exam=exam)
    upload_at(Client(), student, DUE + timedelta(minutes=5))  # 2030: the login would expire

    roster = examiner_client.get(exam.get_absolute_url()).content.decode()
    detail = examiner_client.get(student.get_absolute_url()).content.decode()
    rows = csv_rows(examiner_client.get(reverse("students:roster_csv", args=[exam.pk])))
    manifest = manifest_rows(examiner_client.get(reverse("students:exam_zip", args=[exam.pk])))

    assert "late by 5 min" in roster
    assert "late by 5 min" in detail
    assert rows[0]["late by"] == "5 min"
    assert manifest[0]["late by"] == "5 min"


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def manifest_rows(response):
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


# --- What the student sees --------------------------------------------------------------


def test_instructions_keep_line_breaks_make_links_clickable_and_stay_escaped(client):
    exam = ExamFactory(
        instructions="Scan every page.\nRules: https://example.edu/rules\n<script>alert(1)</script>",
        contact="exams@example.edu",
    )
    html = client.get(upload_url(StudentFactory(exam=exam))).content.decode()

    assert "Scan every page.<br>" in html
    assert '<a href="https://example.edu/rules"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert 'href="mailto:exams@example.edu"' in html


def test_the_slips_show_instructions_contact_file_types_and_size(examiner_client, examiner):
    exam = ExamFactory(
        owner=examiner,
        instructions="Bring your student card.",
        contact="Room 101",
        allowed_extensions="pdf",
        max_upload_bytes=3 * 1024 * 1024,
    )
    StudentFactory(exam=exam)

    html = examiner_client.get(reverse("students:exam_slips", args=[exam.pk])).content.decode()

    assert "Bring your student card." in html and "Room 101" in html
    assert "at most 3.0\xa0MB (pdf)" in html


def test_the_exam_page_shows_the_file_types_and_size_limit(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, allowed_extensions="pdf, docx")

    html = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "<strong>File types:</strong> pdf, docx" in html
    assert "<strong>Largest file:</strong> 3.0\xa0MB" in html


def test_the_closed_page_leads_with_closed_and_shows_no_countdown_or_uploads_left(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE))
    upload_at(client, student, DUE - timedelta(hours=1))

    html = page_at(client, student, DUE + timedelta(hours=1))

    assert html.split("<h1>")[1].startswith("Uploads are closed</h1>")
    assert "Uploads left" not in html and "closes in" not in html
    assert "Your last submission, below, is the one that counts" in html


def test_the_page_counts_down_to_the_due_time(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE))

    html = page_at(client, student, DUE - timedelta(hours=2, minutes=13, seconds=30))

    assert "closes in 2 h 13 min" in html
    assert f'data-countdown="{2 * 3600 + 13 * 60 + 30}"' in html


def test_the_last_upload_must_be_confirmed(client):
    student = StudentFactory(exam=ExamFactory(max_uploads=2))
    assert post_upload(client, student, confirm_last=False).status_code == 302

    html = client.get(upload_url(student)).content.decode()
    refused = post_upload(client, student, b"%PDF last", confirm_last=False)

    assert "This is your last upload" in html and 'name="confirm_last"' in html
    assert refused.status_code == 400
    assert "Please tick the box to confirm it" in refused.content.decode()
    student.refresh_from_db()
    assert student.uploads_used == 1 and Submission.objects.count() == 1
    assert post_upload(client, student, b"%PDF last", confirm_last=True).status_code == 302


def test_earlier_uploads_need_no_confirmation(client):
    student = StudentFactory(exam=ExamFactory(max_uploads=3))

    html = client.get(upload_url(student)).content.decode()

    assert 'name="confirm_last"' not in html
    assert post_upload(client, student, confirm_last=False).status_code == 302


def test_a_statement_must_be_accepted_and_is_kept_with_the_upload(client):
    student = StudentFactory(exam=ExamFactory(statement="I confirm this is my own work."))

    html = client.get(upload_url(student)).content.decode()
    refused = post_upload(client, student)
    accepted = post_upload(client, student, statement="on")

    assert "I confirm this is my own work." in html and 'name="statement"' in html
    assert refused.status_code == 400
    assert "Please tick “I confirm this is my own work.”" in refused.content.decode()
    assert accepted.status_code == 302
    submission = Submission.objects.get()
    assert submission.statement == "I confirm this is my own work."
    assert "I confirm this is my own work." in client.get(accepted["Location"]).content.decode()
    event = Event.objects.get(kind=Event.Kind.UPLOAD_ACCEPTED)
    assert "statement accepted" in event.detail


def test_an_exam_without_a_statement_asks_for_none(client):
    student = StudentFactory(exam=ExamFactory(statement=""))

    assert 'name="statement"' not in client.get(upload_url(student)).content.decode()
    assert post_upload(client, student).status_code == 302
    assert Submission.objects.get().statement == ""


# --- Opening one's own file -----------------------------------------------------------


def own_file_url(student, submission):
    return reverse("submissions:own_file", args=[student.upload_code, submission.verification_code])


def test_the_student_opens_the_file_they_submitted_from_the_receipt(client, student):
    receipt = client.get(post_upload(client, student, b"%PDF my own").url).content.decode()
    submission = Submission.objects.get()

    assert own_file_url(student, submission) in receipt
    response = client.get(own_file_url(student, submission))
    assert response.status_code == 302
    download = client.get(response["Location"])
    assert b"".join(download.streaming_content) == b"%PDF my own"
    assert Event.objects.filter(kind=Event.Kind.DOWNLOAD, submission=submission).exists()


def test_a_replaced_file_cannot_be_opened_from_its_old_receipt(client, student):
    post_upload(client, student, b"%PDF first")
    first = Submission.objects.get()
    post_upload(client, student, b"%PDF second")

    receipt = client.get(
        reverse("submissions:receipt", args=[student.upload_code, first.verification_code])
    ).content.decode()

    assert own_file_url(student, first) not in receipt
    assert client.get(own_file_url(student, first)).status_code == 410


def test_another_students_link_cannot_open_the_file(client, student):
    post_upload(client, student)
    submission = Submission.objects.get()
    other = StudentFactory(exam=student.exam)

    assert client.get(own_file_url(other, submission)).status_code == 404


def test_the_sha256_is_under_technical_details(client, student):
    receipt = client.get(post_upload(client, student).url).content.decode()

    details = receipt.index("<summary>Technical details</summary>")
    assert receipt.index(f'<dd class="hash">{Submission.objects.get().sha256}') > details


# --- Where the file is stored, and until when ------------------------------------------------


def test_the_upload_page_and_receipt_say_where_the_file_is_kept_and_until_when(client):
    exam = ExamFactory(closes_at=DUE, time_zone="UTC", retention_days=4)
    student = StudentFactory(exam=exam)

    before = page_at(client, student, DUE - timedelta(days=1))
    receipt = client.get(upload_at(client, student, DUE - timedelta(days=1))["Location"])

    # (The location is the storage's own phrase: here local files, "on the server's own disk".)
    assert "Your file will be stored on the server" in before
    assert "own disk until 4 days after uploads close, then deleted" in before
    assert "own disk until 5 Jun 2030, 12:00 UTC" in receipt.content.decode()


def test_an_open_ended_exam_says_its_files_are_kept_days_after_each_upload(client):
    student = StudentFactory(exam=ExamFactory(closes_at=None, retention_days=2))

    html = client.get(upload_url(student)).content.decode()

    assert "for 2 days after its upload, then deleted" in html

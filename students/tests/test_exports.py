import csv
import hashlib
import io
import os
import tracemalloc
import zipfile
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from students.exports import neutralise
from students.models import ExaminerProfile
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory
from submissions.tests.helpers import commit_file, post_upload

pytestmark = pytest.mark.django_db


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_zip(response):
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def stored_submission(student, content, name="answer.pdf"):
    return SubmissionFactory(student=student, content=content, original_name=name, stored=True)


# --- Roster CSV -----------------------------------------------------------------------


def test_the_roster_csv_lists_every_student_with_their_link_and_file(
    examiner_client, exam, student
):
    StudentFactory(exam=exam, nickname="zz-waiting")
    post_upload(examiner_client, student, b"%PDF-1.7 answers", name="mine.pdf")
    submission = student.submissions.get()

    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = {row["nickname"]: row for row in read_csv(response)}
    row = rows[student.nickname]
    assert row["upload link"] == f"http://testserver/u/{student.upload_code}/"
    assert row["uploads used"] == "1"
    assert row["file name"] == "mine.pdf"
    assert row["size (bytes)"] == str(len(b"%PDF-1.7 answers"))
    assert row["SHA-256"] == submission.sha256
    assert row["verification code"] == submission.display_code
    assert row["last upload"] and row["file kept until"]
    assert rows["zz-waiting"]["file name"] == ""


def test_the_roster_csv_says_until_when_a_committed_file_is_awaited(examiner_client, exam):
    exam.time_zone = "Europe/Berlin"
    exam.save()
    awaited = StudentFactory(exam=exam, nickname="awaited")
    StudentFactory(exam=exam, nickname="other")
    commitment = commit_file(awaited)

    rows = {
        row["nickname"]: row
        for row in read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv"))
    }

    until = timezone.localtime(commitment.deliver_by, exam.zone)
    assert rows["awaited"]["committed, awaiting the file until"] == until.isoformat(
        sep=" ", timespec="seconds"
    )
    assert rows["other"]["committed, awaiting the file until"] == ""


def test_the_roster_csv_costs_no_query_per_student(examiner_client, exam):
    commit_file(StudentFactory(exam=exam))
    with CaptureQueriesContext(connection) as one:
        read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv"))
    for student in StudentFactory.create_batch(4, exam=exam):
        post_upload(examiner_client, student)
        commit_file(student, b"%PDF-1.7 a second thought")

    with CaptureQueriesContext(connection) as five:
        rows = read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv"))

    assert sum(bool(row["committed, awaiting the file until"]) for row in rows) == 5
    assert len(five) == len(one)


def test_the_roster_csv_neutralises_formulas(examiner_client, exam):
    StudentFactory(
        exam=exam,
        nickname='=HYPERLINK("http://evil")',
        first_name="+1+2",
        last_name="-SUM(A1)",
        email="@evil.example",
    )

    row = read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv"))[0]

    assert row["nickname"] == '\'=HYPERLINK("http://evil")'
    assert (row["first name"], row["last name"], row["email"]) == (
        "'+1+2",
        "'-SUM(A1)",
        "'@evil.example",
    )


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_neutralise_quotes_every_formula_start(cell):
    assert neutralise(cell) == "'" + cell


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("Ada Lovelace") == "Ada Lovelace"
    assert neutralise(42) == "42"
    assert neutralise(None) == ""


def test_the_roster_csv_gives_times_in_the_exams_zone(examiner_client, examiner, student):
    ExaminerProfile.objects.create(user=examiner, time_zone="Europe/Lisbon")
    student.exam.time_zone = "Asia/Tokyo"
    student.exam.save()
    submission = stored_submission(student, b"answers")
    submission.accepted_at = datetime(2030, 1, 1, 12, tzinfo=UTC)
    submission.save()

    row = read_csv(examiner_client.get(f"/exams/{student.exam_id}/roster.csv"))[0]

    assert row["last upload"] == "2030-01-01 21:00:00+09:00"


def test_the_roster_csv_starts_with_a_byte_order_mark_for_excel(examiner_client, exam, student):
    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv")

    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbfnickname,first name,")
    assert data.count(b"\xef\xbb\xbf") == 1


def test_the_roster_csv_can_be_separated_by_semicolons(examiner_client, exam):
    StudentFactory(exam=exam, nickname="s1", first_name="Jean; Luc", last_name="Picard")

    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv?sep=semicolon")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.startswith("nickname;first name;last name;")
    row = next(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert (row["nickname"], row["first name"]) == ("s1", "Jean; Luc")


def test_an_unknown_separator_is_a_comma(examiner_client, exam, student):
    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv?sep=tab")

    assert read_csv(response)[0]["nickname"] == student.nickname


@time_machine.travel(datetime(2026, 12, 8, 23, 30, tzinfo=UTC), tick=False)
def test_the_roster_csv_is_named_after_the_exam_and_the_day_in_its_zone(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, title="Linear Algebra: final", time_zone="Asia/Tokyo")

    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="Linear-Algebra-final-roster-2026-12-09.csv"'
    )


def test_the_roster_csv_is_404_for_another_examiner(examiner_client):
    other = ExamFactory()

    assert examiner_client.get(f"/exams/{other.pk}/roster.csv").status_code == 404


# --- Slips ----------------------------------------------------------------------------


def test_the_slips_sheet_has_one_qr_code_per_student(examiner_client, exam):
    students = [StudentFactory(exam=exam) for _ in range(3)]

    response = examiner_client.get(f"/exams/{exam.pk}/slips/")

    html = response.content.decode()
    assert html.count('<section class="slip" lang="en">') == 3
    assert html.count('<svg viewBox="0 0') == 3
    for student in students:
        assert f"http://testserver/u/{student.upload_code}/" in html
    assert "css/slips.css" in html and "js/print.js" in html
    assert "<script>" not in html and "style=" not in html


def test_the_slips_sheet_can_print_only_those_who_have_not_submitted(examiner_client, exam):
    done, waiting = StudentFactory(exam=exam), StudentFactory(exam=exam)
    post_upload(examiner_client, done)

    html = examiner_client.get(f"/exams/{exam.pk}/slips/?show=waiting").content.decode()

    assert waiting.upload_code in html and done.upload_code not in html


def test_the_roster_csv_is_in_the_roster_pages_order_on_any_database(examiner_client, exam):
    """By the alphabet (students.collation), not by the database's collation: in
    PostgreSQL's "C" or SQLite's binary order, "zeta" and "Ärzte" would come after "Baker"
    and in the wrong order."""
    for last in ["zeta", "Baker", "Ärzte", "Özdemir", "adams"]:
        StudentFactory(exam=exam, last_name=last)

    rows = read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv"))
    page = examiner_client.get(exam.get_absolute_url()).context["students"]

    assert [row["last name"] for row in rows] == ["adams", "Ärzte", "Baker", "Özdemir", "zeta"]
    assert [student.last_name for student in page] == [row["last name"] for row in rows]


def test_the_roster_csv_keeps_the_pages_filter_when_the_link_carries_it(
    examiner_client, exam, student
):
    post_upload(examiner_client, student)
    StudentFactory(exam=exam, nickname="waiting")

    rows = read_csv(examiner_client.get(f"/exams/{exam.pk}/roster.csv?show=waiting"))

    assert [row["nickname"] for row in rows] == ["waiting"]


def test_the_roster_csvs_headings_are_in_the_examiners_language(examiner_client, exam, student):
    response = examiner_client.get(f"/exams/{exam.pk}/roster.csv", HTTP_ACCEPT_LANGUAGE="de")

    [row] = read_csv(response)
    assert list(row)[:5] == ["Kennung", "Vorname", "Nachname", "E-Mail", "Upload-Link"]
    assert row["Kennung"] == student.nickname


def test_each_slip_is_in_its_students_language_not_the_examiners(examiner_client, exam):
    exam.language = "de"
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = datetime(2030, 12, 8, 17, 0, tzinfo=UTC)
    exam.save()
    StudentFactory(exam=exam, nickname="german", language="")
    StudentFactory(exam=exam, nickname="english", language="en")

    page = examiner_client.get(f"/exams/{exam.pk}/slips/").content.decode()

    german, english = (
        page.split('<section class="slip" lang="de">')[1],
        page.split('<section class="slip" lang="en">')[1],
    )
    assert "<h1>Upload slips</h1>" in page  # the examiner's page stays theirs
    assert "Abgabefrist: 8. Dezember 2030, 18:00 MEZ" in german.split("</section>")[0]
    assert "Due: 8 Dec 2030, 18:00 CET" in english.split("</section>")[0]


def test_the_slips_sheet_is_404_for_another_examiner(examiner_client):
    assert examiner_client.get(f"/exams/{ExamFactory().pk}/slips/").status_code == 404


# --- Download all ---------------------------------------------------------------------


def check_against_manifest(archive):
    raw = archive.read("manifest.csv")
    assert raw.startswith(b"\xef\xbb\xbf") and not raw.startswith(b"\xef\xbb\xbf" * 2)  # Excel
    manifest = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    names = set(archive.namelist()) - {"manifest.csv", "manifest-semicolon.csv"}
    assert {row["file"] for row in manifest} == names
    for row in manifest:
        content = archive.read(row["file"])
        assert len(content) == int(row["size (bytes)"])
        assert hashlib.sha256(content).hexdigest() == row["SHA-256"]
    return manifest


def test_download_all_zips_every_current_file_with_a_manifest(examiner_client, exam):
    ada = StudentFactory(exam=exam, nickname="s1", first_name="Ada", last_name="Lovelace")
    grace = StudentFactory(exam=exam, nickname="s2")
    StudentFactory(exam=exam, nickname="s3")  # nothing uploaded
    post_upload(examiner_client, ada, b"%PDF-1.7 first try", name="essay.pdf")
    post_upload(examiner_client, ada, b"%PDF-1.7 final answer", name="essay.pdf")
    post_upload(examiner_client, grace, b"%PDF-1.7 grace", name="proof.pdf")

    response = examiner_client.get(f"/exams/{exam.pk}/files.zip")

    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = read_zip(response)
    assert archive.testzip() is None
    manifest = check_against_manifest(archive)
    assert archive.read("s1_essay.pdf") == b"%PDF-1.7 final answer"
    row = manifest[0]
    current = ada.submissions.current().get()
    assert (row["nickname"], row["name"], row["file"]) == ("s1", "Ada Lovelace", "s1_essay.pdf")
    assert row["verification code"] == current.display_code
    assert row["accepted"] == timezone.localtime(current.accepted_at).isoformat(
        sep=" ", timespec="seconds"
    )
    assert [r["nickname"] for r in manifest] == ["s1", "s2"]


def test_download_all_reads_files_from_s3(examiner_client, exam, s3):
    student = StudentFactory(exam=exam, nickname="s1")
    post_upload(examiner_client, student, b"%PDF-1.7 in the bucket", name="a.pdf")

    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    check_against_manifest(archive)
    assert archive.read("s1_a.pdf") == b"%PDF-1.7 in the bucket"


def test_the_zip_has_the_manifest_with_semicolons_too(examiner_client, exam):
    stored_submission(StudentFactory(exam=exam, nickname="s1"), b"one", name="a.pdf")

    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    comma = archive.read("manifest.csv").decode("utf-8-sig")
    semicolon = archive.read("manifest-semicolon.csv").decode("utf-8-sig")
    assert semicolon == comma.replace(",", ";")
    assert semicolon.startswith("nickname;name;file;size (bytes);SHA-256;")


def test_download_all_makes_names_safe_and_distinct(examiner_client, exam):
    # Nicknames differ in any case (the database sees to it), but a_b_X.pdf and a_B_x.pdf
    # are one name on a case-insensitive file system.
    stored_submission(StudentFactory(exam=exam, nickname="z"), b"one", name="../../etc/passwd")
    stored_submission(StudentFactory(exam=exam, nickname="a_b"), b"two", name="X.pdf")
    stored_submission(StudentFactory(exam=exam, nickname="a"), b"three", name="B_x.pdf")

    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    names = archive.namelist()
    assert all("/" not in name and "\\" not in name for name in names)
    assert len({name.casefold() for name in names}) == len(names) == 5
    check_against_manifest(archive)


def test_download_all_names_have_no_character_windows_refuses(examiner_client, exam):
    student = StudentFactory(exam=exam, nickname="a:b")
    stored_submission(student, b"one", name='what?<"is">|this*\\.pdf')

    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    assert archive.namelist() == [
        "a_b_what___is___this__.pdf",
        "manifest.csv",
        "manifest-semicolon.csv",
    ]
    check_against_manifest(archive)


def test_download_all_neutralises_formulas_in_the_manifest(examiner_client, exam):
    student = StudentFactory(exam=exam, nickname="=1+1", first_name="+SUM(A1)", last_name="-2")
    stored_submission(student, b"one", name="@cmd.pdf")

    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    assert archive.namelist() == ["=1+1_@cmd.pdf", "manifest.csv", "manifest-semicolon.csv"]
    text = archive.read("manifest.csv").decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    # The file column is quoted too: a spreadsheet shows it as the entry's name.
    assert (row["nickname"], row["name"], row["file"]) == (
        "'=1+1",
        "'+SUM(A1) -2",
        "'=1+1_@cmd.pdf",
    )


def test_download_all_of_an_empty_exam_is_a_zip_with_a_manifest(examiner_client, exam):
    archive = read_zip(examiner_client.get(f"/exams/{exam.pk}/files.zip"))

    assert archive.namelist() == ["manifest.csv", "manifest-semicolon.csv"]


def test_download_all_is_404_for_another_examiner(examiner_client):
    assert examiner_client.get(f"/exams/{ExamFactory().pk}/files.zip").status_code == 404


def peak_memory_streaming(client, exam):
    """Bytes of Python memory at the peak while the ZIP streams, and the ZIP's size."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        response = client.get(f"/exams/{exam.pk}/files.zip")
        size = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


def test_download_all_memory_stays_flat_as_the_exam_grows(examiner_client, examiner):
    file_size = 512 * 1024
    small, large = ExamFactory(owner=examiner), ExamFactory(owner=examiner)
    for exam, count in [(small, 4), (large, 24)]:
        for _ in range(count):
            stored_submission(StudentFactory(exam=exam), os.urandom(file_size))
    peak_memory_streaming(examiner_client, small)  # warm up imports and caches

    small_peak, small_size = peak_memory_streaming(examiner_client, small)
    large_peak, large_size = peak_memory_streaming(examiner_client, large)

    assert large_size > 24 * file_size  # 12 MB went through...
    assert large_peak < 2 * file_size  # ...never more than about a megabyte at once,
    assert large_peak - small_peak < file_size / 2  # and six times the files cost ~nothing more.

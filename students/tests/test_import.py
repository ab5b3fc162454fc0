import csv
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from students import imports
from students.models import Student, StudentImport
from students.tests.factories import ExamFactory, StudentFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "Email;Last name;First name;Nickname\n"
    "ada@example.edu;Lovelace;Ada;s1\n"
    "grace@example.edu;Hopper;Grace;s2\n"
)


def csv_file(text, name="roster.csv", encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, exam, text, **kwargs):
    return client.post(f"/exams/{exam.pk}/import/", {"file": csv_file(text, **kwargs)})


def preview(client, exam, text, **kwargs):
    response = upload(client, exam, text, **kwargs)
    assert response.status_code == 302, response.context["form"].errors
    return client.get(response["Location"])


def test_it_previews_every_row_and_adds_nobody_yet(examiner_client, exam):
    response = preview(examiner_client, exam, GOOD)

    rows = response.context["preview"].rows
    assert [(r.nickname, r.first_name, r.last_name, r.email) for r in rows] == [
        ("s1", "Ada", "Lovelace", "ada@example.edu"),
        ("s2", "Grace", "Hopper", "grace@example.edu"),
    ]
    assert "2 rows ready to import" in response.content.decode()
    assert not exam.students.exists()


def test_it_previews_every_row_with_its_errors(examiner_client, exam):
    StudentFactory(exam=exam, nickname="taken")
    text = (
        "nickname,first_name,last_name,email\n"
        "ok1,Ada,Lovelace,ada@example.edu\n"
        ",Nick,Less,\n"
        "bad,Bad,Email,not-an-email\n"
        "ok1,Again,Twice,\n"
        "TAKEN,Al,Ready,\n"
        f"long,{'x' * 101},Name,\n"
    )

    response = preview(examiner_client, exam, text)

    errors = {row.line: row.errors for row in response.context["preview"].rows}
    assert errors[2] == []
    assert errors[3] == ["The nickname is missing."]
    assert errors[4] == ["“not-an-email” is not an email address."]
    assert errors[5] == ["The nickname “ok1” is also on line 2."]
    assert errors[6] == ["A student with nickname “TAKEN” is already in this exam."]
    assert errors[7] == ["The first name is too long (101 characters; at most 100)."]
    assert "1 row ready to import" in response.content.decode()


def test_it_imports_the_valid_rows_on_confirm(examiner_client, exam):
    text = GOOD + "s3,,,\n"
    pending = preview(examiner_client, exam, text).context["pending"]

    response = examiner_client.post(f"/exams/{exam.pk}/import/{pending.pk}/confirm/", follow=True)

    assert sorted(exam.students.values_list("nickname", flat=True)) == ["s1", "s2"]
    assert "Imported 2 students. Skipped 1 row with errors." in response.content.decode()
    assert not StudentImport.objects.exists()


def test_each_imported_student_gets_their_own_upload_link(examiner_client, exam):
    pending = preview(examiner_client, exam, GOOD).context["pending"]
    examiner_client.post(f"/exams/{exam.pk}/import/{pending.pk}/confirm/")

    codes = set(exam.students.values_list("upload_code", flat=True))
    assert len(codes) == 2 and all(len(code) >= 32 for code in codes)


def test_confirm_parses_the_stored_file_again(examiner_client, exam):
    pending = preview(examiner_client, exam, GOOD).context["pending"]
    StudentFactory(exam=exam, nickname="s2")  # added by hand after the preview

    examiner_client.post(
        f"/exams/{exam.pk}/import/{pending.pk}/confirm/",
        {"nickname": "forged", "rows": "anything"},  # whatever the browser sends is ignored
    )

    assert sorted(exam.students.values_list("nickname", flat=True)) == ["s1", "s2"]
    assert exam.students.get(nickname="s2").first_name == "Ada"


def test_cancel_imports_nothing(examiner_client, exam):
    pending = preview(examiner_client, exam, GOOD).context["pending"]

    response = examiner_client.post(f"/exams/{exam.pk}/import/{pending.pk}/cancel/")

    assert response.status_code == 302
    assert not exam.students.exists()
    assert not StudentImport.objects.exists()


def test_a_confirmed_import_cannot_be_confirmed_twice(examiner_client, exam):
    pending = preview(examiner_client, exam, GOOD).context["pending"]
    url = f"/exams/{exam.pk}/import/{pending.pk}/confirm/"
    examiner_client.post(url)

    assert examiner_client.post(url).status_code == 404
    assert exam.students.count() == 2


def test_the_import_checks_the_exam_again_when_it_runs(exam):
    text = imports.decode(GOOD.encode())
    Student.objects.create(exam=exam, nickname="S1", first_name="X", last_name="Y")

    result = imports.import_students(exam, text)

    assert [row.nickname for row in result.valid_rows] == ["s2"]
    assert exam.students.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "This is not a CSV file"),
        (b"nickname;first name\n", "a header row but no students"),
        (b"nickname,first name,last name\n", "a header row but no students"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20, "This is not a CSV file"),
    ],
)
def test_it_refuses_a_malformed_file_with_a_clear_message(examiner_client, exam, data, message):
    response = upload(examiner_client, exam, data)

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["file"])
    assert not StudentImport.objects.exists()


GERMAN_EXCEL = "Kennung;Vorname;Nachname;E-Mail\ns1;Jürgen;Müller;j@example.edu\ns2;Zoë;Weiß;\n"


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("cp1252", "Read as Windows-1252 (Excel&#x27;s CSV on Windows)."),
        ("utf-8", "Read as UTF-8."),
        ("utf-8-sig", "Read as UTF-8."),
        ("utf-16", "Read as UTF-16."),
    ],
)
def test_it_reads_the_common_encodings_and_says_which(examiner_client, exam, encoding, said):
    """German Excel's default CSV is Windows-1252; its "Unicode text" is UTF-16."""
    response = upload(examiner_client, exam, GERMAN_EXCEL.encode(encoding))
    assert response.status_code == 302, response.context["form"].errors
    page = examiner_client.get(response["Location"])

    rows = page.context["preview"].rows
    assert [(r.first_name, r.last_name) for r in rows] == [("Jürgen", "Müller"), ("Zoë", "Weiß")]
    assert said in page.content.decode()


def test_a_french_class_list_in_windows_1252_reads_right(examiner_client, exam):
    text = "nickname,first name,last name\ns1,François,Lefèvre\ns2,José,Núñez\n"

    rows = preview(examiner_client, exam, text.encode("cp1252")).context["preview"].rows

    assert [r.last_name for r in rows] == ["Lefèvre", "Núñez"]


def test_it_refuses_a_file_over_the_size_limit(examiner_client, exam):
    big = "nickname,first name,last name\n" + "x" * (imports.MAX_BYTES + 1)

    response = upload(examiner_client, exam, big)

    # Both sizes print as 2.0 MB, so the message gives them in bytes.
    assert response.context["form"].errors["file"][0] == (
        "This file is 2,097,183 bytes; the limit is 2,097,152 bytes."
    )


def test_it_refuses_a_file_over_the_size_limit_in_megabytes(examiner_client, exam):
    big = "nickname,first name,last name\n" + "x" * 3 * 1024 * 1024

    response = upload(examiner_client, exam, big)

    assert response.context["form"].errors["file"][0] == (
        "This file is 3.0\xa0MB; the limit is 2.0\xa0MB."
    )


@pytest.mark.parametrize(
    "column, label, limit",
    [("nickname", "nickname", 64), ("first", "first name", 100), ("last", "last name", 100)],
)
def test_a_value_of_exactly_the_column_width_is_fine_and_one_more_is_too_long(column, label, limit):
    values = {"nickname": "s1", "first": "Ada", "last": "Lovelace"}
    lines = ["nickname,first,last"]
    for width in (limit, limit + 1):
        row = {**values, "nickname": f"s{width}", column: "x" * width}
        lines.append(",".join(row[name] for name in ("nickname", "first", "last")))

    exact, over = imports.read("\n".join(lines))

    assert exact.errors == []
    assert over.errors == [f"The {label} is too long ({limit + 1} characters; at most {limit})."]


def roster_of(count):
    return "nickname,first name,last name\n" + "".join(f"s{n},Ada,L{n}\n" for n in range(count))


def test_a_file_of_exactly_20000_students_is_read():
    assert len(imports.read(roster_of(imports.MAX_ROWS))) == imports.MAX_ROWS == 20_000


def test_a_file_of_20001_students_is_refused(examiner_client, exam):
    response = upload(examiner_client, exam, roster_of(imports.MAX_ROWS + 1))

    assert response.status_code == 422
    assert response.context["form"].errors["file"] == ["This file has more than 20,000 students."]
    assert not StudentImport.objects.exists()


def test_it_reads_a_byte_order_mark_semicolons_and_quotes(examiner_client, exam):
    text = '\ufeffNICKNAME;First Name;Last Name;E-mail\r\n"s9";"Jean; Luc";"Picard";""\r\n'

    row = preview(examiner_client, exam, text).context["preview"].rows[0]

    assert (row.nickname, row.first_name, row.last_name, row.email) == (
        "s9",
        "Jean; Luc",
        "Picard",
        "",
    )
    assert row.is_valid()


def test_it_skips_blank_lines(examiner_client, exam):
    response = preview(examiner_client, exam, GOOD + "\n;;;\n")

    assert len(response.context["preview"].rows) == 2


def test_a_new_upload_replaces_the_pending_import(examiner_client, exam):
    preview(examiner_client, exam, GOOD)
    preview(examiner_client, exam, GOOD)

    assert StudentImport.objects.filter(exam=exam).count() == 1


def test_it_404s_another_examiners_import(examiner_client):
    other = ExamFactory()
    pending = StudentImport.objects.create(exam=other, file_name="x.csv", text=GOOD)

    assert examiner_client.get(f"/exams/{other.pk}/import/").status_code == 404
    assert examiner_client.get(f"/exams/{other.pk}/import/{pending.pk}/").status_code == 404
    url = f"/exams/{other.pk}/import/{pending.pk}/confirm/"
    assert examiner_client.post(url).status_code == 404
    assert not other.students.exists()


def test_confirm_needs_a_post(examiner_client, exam):
    pending = preview(examiner_client, exam, GOOD).context["pending"]

    response = examiner_client.get(f"/exams/{exam.pk}/import/{pending.pk}/confirm/")

    assert response.status_code == 405
    assert not exam.students.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_import_the_file_once(client, examiner):
    exam = ExamFactory(owner=examiner)
    pending = StudentImport.objects.create(exam=exam, file_name="roster.csv", text=GOOD)
    url = f"/exams/{exam.pk}/import/{pending.pk}/confirm/"
    barrier = threading.Barrier(2)
    locations = []

    def confirm():
        try:
            own = Client()
            own.force_login(examiner)
            barrier.wait(timeout=30)
            response = own.post(url)
            locations.append(response.get("Location", response.status_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert exam.students.count() == 2
    assert not StudentImport.objects.exists()
    # The second waits for the first and finds the file gone (or, if it came later, a 404):
    # never a half import or a conflict error sending it back to the preview.
    assert len(locations) == 2 and set(locations) <= {f"/exams/{exam.pk}/", 404}


# --- Headers from elsewhere, and choosing the columns ---------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Matrikelnummer;Vorname;Nachname;E-Mail",  # a German university's list
        "username,firstname,lastname,email",  # Moodle's
        "Student ID\tGiven name\tSurname\tEmail address",  # tab separated
    ],
)
def test_it_recognises_common_headers(examiner_client, exam, header):
    delimiter = next(d for d in ";,\t" if d in header)
    text = header + "\n" + delimiter.join(["s1", "Zoë", "Ünal", "zoe@example.edu"]) + "\n"

    row = preview(examiner_client, exam, text).context["preview"].rows[0]

    assert (row.nickname, row.first_name, row.last_name, row.email) == (
        "s1",
        "Zoë",
        "Ünal",
        "zoe@example.edu",
    )


UNKNOWN = "Matr.;Given;Family;Contact\n12345;Ada;Lovelace;ada@example.edu\n67890;Alan;Turing;\n"


def columns_url(exam):
    pending = StudentImport.objects.get(exam=exam)
    return f"/exams/{exam.pk}/import/{pending.pk}/columns/"


def test_unknown_headers_lead_to_choosing_the_columns(examiner_client, exam):
    response = upload(examiner_client, exam, UNKNOWN)
    response = examiner_client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == columns_url(exam)
    page = examiner_client.get(columns_url(exam)).content.decode()
    assert "Column 1: “Matr.”, e.g. “12345”" in page
    assert "Column 4: “Contact”, e.g. “ada@example.edu”" in page


def test_the_chosen_columns_are_previewed_and_imported(examiner_client, exam):
    upload(examiner_client, exam, UNKNOWN)
    chosen = {"nickname": "0", "first_name": "1", "last_name": "2", "email": "3"}

    response = examiner_client.post(columns_url(exam), chosen)
    assert response.status_code == 302
    rows = examiner_client.get(response["Location"]).context["preview"].rows
    assert [(r.nickname, r.first_name, r.last_name, r.email) for r in rows] == [
        ("12345", "Ada", "Lovelace", "ada@example.edu"),
        ("67890", "Alan", "Turing", ""),
    ]
    examiner_client.post(response["Location"] + "confirm/")

    assert sorted(exam.students.values_list("nickname", "last_name")) == [
        ("12345", "Lovelace"),
        ("67890", "Turing"),
    ]


def test_email_is_optional_when_choosing_the_columns(examiner_client, exam):
    upload(examiner_client, exam, UNKNOWN)

    response = examiner_client.post(
        columns_url(exam), {"nickname": "0", "first_name": "1", "last_name": "2", "email": ""}
    )

    rows = examiner_client.get(response["Location"]).context["preview"].rows
    assert [row.email for row in rows] == ["", ""]


@pytest.mark.parametrize(
    "chosen, error",
    [
        ({"nickname": "0", "first_name": "1", "last_name": "1"}, "one field only"),
        ({"nickname": "0", "first_name": "1", "last_name": ""}, "This field is required."),
        ({"nickname": "0", "first_name": "1", "last_name": "4"}, "Select a valid choice."),
    ],
)
def test_choosing_the_columns_refuses_a_column_twice_a_missing_one_or_none(
    examiner_client, exam, chosen, error
):
    upload(examiner_client, exam, UNKNOWN)

    response = examiner_client.post(columns_url(exam), chosen)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert StudentImport.objects.get(exam=exam).columns is None


def test_a_header_we_half_know_is_chosen_for_the_examiner_to_finish(examiner_client, exam):
    upload(examiner_client, exam, "Nickname;Vorname;Family\ns1;Ada;Lovelace\n")

    form = examiner_client.get(columns_url(exam)).context["form"]

    assert form.initial == {"nickname": 0, "first_name": 1}


def test_the_columns_can_be_chosen_again_for_a_file_we_read(examiner_client, exam):
    upload(examiner_client, exam, "first name,last name,nickname\nAda,Lovelace,s1\n")

    response = examiner_client.post(
        columns_url(exam), {"nickname": "2", "first_name": "1", "last_name": "0"}
    )

    row = examiner_client.get(response["Location"]).context["preview"].rows[0]
    assert (row.first_name, row.last_name) == ("Lovelace", "Ada")


# --- The template, the rows with problems ---------------------------------------------


def test_the_template_is_a_roster_the_import_reads(examiner_client, exam):
    response = examiner_client.get("/exams/import-template.csv")

    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbfnickname,first name,last name,email\r\n")
    assert 'filename="students-template.csv"' in response["Content-Disposition"]
    rows = preview(examiner_client, exam, data).context["preview"].rows
    assert [(row.nickname, row.is_valid()) for row in rows] == [("s1024", True)]


def test_the_template_comes_with_semicolons_too(examiner_client):
    response = examiner_client.get("/exams/import-template.csv?sep=semicolon")

    assert b"".join(response.streaming_content).startswith(
        b"\xef\xbb\xbfnickname;first name;last name;email\r\n"
    )


WITH_PROBLEMS = (
    "nickname;first name;last name;email;room\n"
    "s1;Ada;Lovelace;ada@example.edu;A1\n"
    "s2;;Hopper;grace@example.edu;A2\n"
    "s3;Alan;Turing;not-an-address;B7\n"
)


def test_the_preview_can_show_only_the_rows_with_problems(examiner_client, exam):
    response = preview(examiner_client, exam, WITH_PROBLEMS)
    pending = response.context["pending"]

    response = examiner_client.get(f"{pending.get_absolute_url()}?show=problems")

    assert [row.nickname for row in response.context["rows"]] == ["s2", "s3"]
    page = response.content.decode()
    assert "Lovelace" not in page
    assert "Show all 3 rows" in page
    assert "2 rows ready to import" not in page and "1 row ready to import" in page


def test_the_skipped_rows_download_as_the_file_had_them_with_their_problems(examiner_client, exam):
    pending = preview(examiner_client, exam, WITH_PROBLEMS).context["pending"]

    response = examiner_client.get(f"{pending.get_absolute_url()}skipped.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "-skipped-rows-" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["nickname", "first name", "last name", "email", "room", "problems"],
        ["s2", "", "Hopper", "grace@example.edu", "A2", "The first name is missing."],
        [
            "s3",
            "Alan",
            "Turing",
            "not-an-address",
            "B7",
            "“not-an-address” is not an email address.",
        ],
    ]


def test_the_skipped_rows_guard_against_formulas(examiner_client, exam):
    text = "nickname,first name,last name\n=HYPERLINK(1),,Lovelace\n"
    pending = preview(examiner_client, exam, text).context["pending"]

    response = examiner_client.get(f"{pending.get_absolute_url()}skipped.csv")

    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode("utf-8")

"""A file whose header row we do not know is read whole at the upload step, as one we know
is: too many rows or an unreadable cell get the same message there, never a 500 after the
columns were picked; and the column step stays a usable page for thousands of columns."""

import pytest

from students import imports
from students.models import StudentImport
from students.tests.test_import import upload

pytestmark = pytest.mark.django_db

KNOWN, UNKNOWN = "nickname,first name,last name", "Matr.,Given,Family"
CHOSEN = {"nickname": "0", "first_name": "1", "last_name": "2"}


def roster(header, count):
    return header + "\n" + "".join(f"s{n},Ada,L{n}\n" for n in range(count))


def with_a_long_cell(header):
    # Past the csv module's field limit (131,072 characters), within the 2 MB file limit.
    return f"{header}\ns1,{'x' * 200_000},Lovelace\n"


def refusal(response):
    assert response.status_code == 422  # a failed post re-renders with 422
    assert not StudentImport.objects.exists()
    return response.context["form"].errors["file"]


@pytest.mark.parametrize(
    "text",
    [roster(UNKNOWN, imports.MAX_ROWS + 1), with_a_long_cell(UNKNOWN)],
    ids=["20001-rows", "200000-character-cell"],
)
def test_an_unknown_header_is_refused_at_upload_as_a_known_one_is(examiner_client, exam, text):
    known = refusal(upload(examiner_client, exam, text.replace(UNKNOWN, KNOWN, 1)))

    assert refusal(upload(examiner_client, exam, text)) == known


def test_the_message_for_too_many_rows_is_the_known_headers(examiner_client, exam):
    errors = refusal(upload(examiner_client, exam, roster(UNKNOWN, imports.MAX_ROWS + 1)))

    assert errors == ["This file has more than 20,000 students."]


def test_exactly_20000_rows_with_an_unknown_header_go_on_to_the_column_step(examiner_client, exam):
    response = upload(examiner_client, exam, roster(UNKNOWN, imports.MAX_ROWS))

    assert response.status_code == 302
    columns = examiner_client.post(f"{response['Location']}columns/", CHOSEN)
    preview = examiner_client.get(columns["Location"])
    assert len(preview.context["preview"].rows) == 20_000


@pytest.mark.parametrize(
    "text",
    [roster(UNKNOWN, imports.MAX_ROWS + 1), with_a_long_cell(UNKNOWN)],
    ids=["20001-rows", "200000-character-cell"],
)
@pytest.mark.parametrize("step", ["preview", "skipped", "confirm"])
def test_a_file_kept_before_it_was_read_whole_is_sent_back_with_the_reason(
    examiner_client, exam, text, step
):
    """A pending import stored by the old upload step (which stopped at the header), its
    columns already picked: each later step names the file's problem instead of a 500."""
    pending = StudentImport.objects.create(
        exam=exam,
        file_name="roster.csv",
        text=text,
        columns={"nickname": 0, "first_name": 1, "last_name": 2},
    )
    url = pending.get_absolute_url()

    if step == "preview":
        response = examiner_client.get(url)
    elif step == "skipped":
        response = examiner_client.get(f"{url}skipped.csv")
    else:
        response = examiner_client.post(f"{url}confirm/")

    assert response.status_code == 302
    assert response["Location"] == f"/exams/{exam.pk}/import/"
    page = examiner_client.get(response["Location"]).content.decode()
    message = (
        "This file has more than 20,000 students."
        if text.count("\n") > 3
        else "This is not a CSV file we can read (line 2: field larger than field limit"
    )
    assert message in page
    assert not StudentImport.objects.exists()
    assert not exam.students.exists()


def wide(columns):
    """A roster whose header names `columns` columns we do not know, the last one Email."""
    header = [f"col{n}" for n in range(columns - 1)] + ["Email"]
    sample = [f"v{n}" for n in range(columns - 1)] + ["ada@example.edu"]
    return ",".join(header) + "\n" + ",".join(sample) + "\n"


def test_the_column_step_for_50000_columns_is_a_page_of_kilobytes(examiner_client, exam):
    response = upload(examiner_client, exam, wide(50_000))
    assert response.status_code == 302

    page = examiner_client.get(f"{response['Location']}columns/")

    html = page.content.decode()
    assert page.status_code == 200
    assert len(page.content) < 200_000
    assert "This file has 50,000 columns; the lists offer the first 100" in html
    assert "Column 100: “col99”" in html and "Column 101:" not in html
    # A column further right whose name we know is still offered, and picked.
    assert "Column 50000: “Email”" in html
    assert page.context["form"]["email"].value() == 49_999


@pytest.mark.parametrize("columns, cut_short", [(100, False), (101, True)])
def test_the_column_step_says_when_it_offers_only_some_columns(
    examiner_client, exam, columns, cut_short
):
    response = upload(examiner_client, exam, wide(columns))

    page = examiner_client.get(f"{response['Location']}columns/").content.decode()

    assert ('data-testid="columns-cut-short"' in page) is cut_short
    assert f"Column {min(columns, 100)}: " in page


def test_a_header_cell_of_thousands_of_characters_is_shown_cut_short(examiner_client, exam):
    text = f"{'Matr' * 10_000},Given,Family\n1,Ada,Lovelace\n"

    response = upload(examiner_client, exam, text)
    page = examiner_client.get(f"{response['Location']}columns/").content.decode()

    assert f"Column 1: “{'Matr' * 10}”, e.g. “1”" in page
    assert len(page) < 50_000

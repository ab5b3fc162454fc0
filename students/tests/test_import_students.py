from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

ROSTER = (
    "nickname,first name,last name,email\n"
    "s1,Ada,Lovelace,ada@example.edu\n"
    "s2,Grace,Hopper,\n"
    "s3,,Nameless,bad\n"
)


def run(*args):
    out = StringIO()
    call_command("import_students", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_it_adds_the_valid_rows_and_says_what_it_skipped(exam, roster_file):
    output = run(exam.pk, roster_file)

    assert sorted(exam.students.values_list("nickname", flat=True)) == ["s1", "s2"]
    assert "Line 4: The first name is missing. “bad” is not an email address." in output
    assert f"Added 2 students to “{exam.title}” (exam {exam.pk}); skipped 1 rows" in output


def test_a_dry_run_adds_nobody(exam, roster_file):
    output = run(exam.pk, roster_file, "--dry-run")

    assert "Would add 2 students" in output
    assert not exam.students.exists()


def test_it_is_safe_to_run_twice(exam, roster_file):
    run(exam.pk, roster_file)
    output = run(exam.pk, roster_file)

    assert exam.students.count() == 2
    assert "Added 0 students" in output
    assert "“s1” is already in this exam" in output


def test_it_refuses_an_unknown_exam(db, roster_file):
    with pytest.raises(CommandError, match="There is no exam 999"):
        run(999, roster_file)


def test_it_refuses_a_file_that_is_not_csv(exam, tmp_path):
    path = tmp_path / "answers.pdf"
    path.write_bytes(b"%PDF-1.7\x00\x01\x02")

    with pytest.raises(CommandError, match="not a CSV file"):
        run(exam.pk, path)


def test_it_refuses_a_missing_file(exam, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(exam.pk, tmp_path / "nope.csv")

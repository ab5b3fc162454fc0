import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_readme_opens_with_an_examiners_first_exam():
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)

    assert headings[0] == "Your first exam in five minutes"


def test_the_first_exam_walks_the_five_steps_each_with_a_screenshot():
    section = README.split("## Your first exam in five minutes")[1].split("\n## ")[0]
    steps = re.findall(r"^\d\. \*\*(.+?)\*\*", section, flags=re.MULTILINE)
    screenshots = re.findall(r"!\[[^\]]+\]\((docs/screenshots/first-exam-[^)]+)\)", section)

    assert steps == [
        "Create an exam.",
        "Add or import your students.",
        "Hand out the links.",
        "Watch the roster.",
        "Download.",
    ]
    assert len(screenshots) == 5


def test_every_image_the_readme_shows_exists():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)

    assert images
    assert [image for image in images if not (ROOT / image).is_file()] == []


def test_the_readme_says_where_the_data_lives():
    section = README.split("## Where the data lives")[1].split("\n## ")[0]

    for fact in ("ams", "PostgreSQL", ".eu.r2.cloudflarestorage.com", "DATA_RESIDENCY", "3"):
        assert fact in section


def test_the_readme_states_the_retention_the_settings_imply(settings):
    """Files are kept from when uploads close (students.models, Submission.with_expiry),
    not from the upload: the README says so with the default's number of days."""
    days = settings.SUBMISSION_RETENTION_DAYS
    first_exam = " ".join(
        README.split("## Your first exam in five minutes")[1].split("\n## ")[0].split()
    )
    data = " ".join(README.split("## Where the data lives")[1].split("\n## ")[0].split())

    assert f"Files are deleted {days} days after uploads close for each student" in first_exam
    assert f"`SUBMISSION_RETENTION_DAYS` ({days}) days after uploads close" in data
    assert re.findall(r"\d+\s+days after upload\b(?!s)", README) == []


def test_the_readme_names_the_residency_errors_by_the_ids_the_checks_give(settings):
    from submissions.checks import storage_is_where_data_residency_says

    settings.DATA_RESIDENCY = "eu"  # and the tests' local files, which are not in the EU
    [wrong_place] = storage_is_where_data_residency_says(None)
    settings.DATA_RESIDENCY = "mars"
    [unknown] = storage_is_where_data_residency_says(None)
    text = " ".join(README.split())

    assert (
        f"`manage.py check --deploy` fails with `{wrong_place.id}` unless `AWS_S3_ENDPOINT_URL`"
        in text
    )
    assert f"Any other `DATA_RESIDENCY` than empty or `eu` fails with `{unknown.id}`." in text


def test_the_readme_says_how_the_bucket_lets_browsers_upload():
    import inspect

    from submissions import cors
    from submissions.checks import browsers_may_upload_to_storage

    section = " ".join(
        README.split("### The bucket and uploads from the browser")[1].split("\n## ")[0].split()
    )
    refused, unreachable = sorted(
        re.findall(r'id="(submissions\.E\d+)"', inspect.getsource(browsers_may_upload_to_storage))
    )

    assert "manage.py storage_cors --apply" in section
    assert f"fails with `{refused}`" in section
    assert f"cannot reach fails it with `{unreachable}`" in section
    assert f"(ID `{cors.RULE_ID}`)" in section
    for header in cors.UPLOAD_HEADERS:
        assert f"`{header}`" in section

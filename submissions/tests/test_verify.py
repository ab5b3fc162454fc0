from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from students.tests.factories import SubmissionFactory
from submissions import codes
from submissions.models import Submission
from submissions.tests.helpers import post_upload, sha256

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(client, student):
    post_upload(client, student, b"%PDF-1.7 final answer", name="Final Ånswer.pdf")
    return Submission.objects.get()


def test_it_shows_the_verification_form(client, db):
    response = client.get("/verify/")

    assert response.status_code == 200
    assert b'name="code"' in response.content


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: codes.display(c),
        lambda c: codes.display(c).lower(),
        lambda c: " ".join(c),
        lambda c: c.replace("0", "o").replace("1", "I"),
    ],
    ids=["as-printed", "lower-case", "spaces", "O-and-I-typed-for-0-and-1"],
)
def test_it_finds_a_submission_however_the_code_is_typed(client, submission, typed):
    response = client.get("/verify/", {"code": typed(submission.verification_code)})

    page = response.content.decode()
    assert response.status_code == 200
    assert submission.student.exam.title in page
    assert submission.student.full_name in page
    assert "Final Ånswer.pdf" in page
    assert sha256(b"%PDF-1.7 final answer") in page
    # The download is posted too: the code never goes into an address.
    assert '<form method="post" action="/verify/download/">' in page
    assert f'name="code" value="{codes.display(submission.verification_code)}"' in page
    assert f"/verify/{submission.verification_code}" not in page


def test_the_page_posts_the_code_so_it_stays_out_of_the_address(client, submission):
    form = client.get("/verify/").content.decode()

    response = client.post("/verify/", {"code": codes.display(submission.verification_code)})

    assert '<form method="post" class="stack" action="/verify/">' in form
    assert response.status_code == 200
    assert "Final Ånswer.pdf" in response.content.decode()


def test_the_posted_download_gives_the_file(client, submission):
    response = client.post(
        "/verify/download/", {"code": codes.display(submission.verification_code)}
    )

    assert response.status_code == 302
    assert client.get(response["Location"]).getvalue() == b"%PDF-1.7 final answer"


def test_an_unknown_code_is_not_found(client, db):
    response = client.post("/verify/", {"code": "ZZZZ-ZZZZ-ZZZZ"})

    assert response.status_code == 404
    assert "No submission has this code." in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "7KQ2-M9XD-3HF",
            "A verification code has 12 letters and digits, like 7KQ2-M9XD-3HFP; this has 11.",
        ),
        ("7KQ2-M9XD-3HFPP", "this has 13."),
        ("1234", "this has 4."),
        ("7KQ2-M9XD-3HFU", "never the letter U"),
        ("7KQ2-M9XD-3HF!", "never the letter U"),
    ],
)
def test_a_code_that_cannot_be_one_is_told_apart_from_an_unknown_one(client, db, typed, said):
    response = client.post("/verify/", {"code": typed})

    page = response.content.decode()
    assert response.status_code == 400
    assert said in page
    assert "No submission has this code." not in page


def test_download_saves_the_file_under_its_original_name(client, submission):
    response = client.get(f"/verify/{submission.verification_code}/download/")
    assert response.status_code == 302

    file_response = client.get(response["Location"])

    assert file_response.status_code == 200
    assert b"".join(file_response.streaming_content) == b"%PDF-1.7 final answer"
    assert file_response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Final%20%C3%85nswer.pdf"
    )


def test_a_download_link_expires_after_ten_minutes(client, submission):
    link = client.get(f"/verify/{submission.verification_code}/download/")["Location"]

    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=5)):
        response = client.get(link)

    assert response.status_code == 404


def test_a_forged_download_link_is_refused(client, submission):
    assert client.get("/files/forged-token/").status_code == 404


def test_a_superseded_code_says_it_was_replaced_and_offers_no_download(client, submission):
    post_upload(client, submission.student, b"newer", name="newer.pdf")

    response = client.get("/verify/", {"code": submission.verification_code})
    download = client.get(f"/verify/{submission.verification_code}/download/")

    page = response.content.decode()
    assert "A later upload by this student replaced this file" in page
    assert "/download/" not in page
    assert download.status_code == 410
    # What the reviewer can do without the student: ask the examiner.
    assert "For the file that counts, ask the exam's examiner:" in page


def test_the_superseded_page_names_the_exams_contact(client, submission):
    exam = submission.student.exam
    exam.contact = "exams@math.example.edu"
    exam.save()
    post_upload(client, submission.student, b"newer", name="newer.pdf")

    page = client.get("/verify/", {"code": submission.verification_code}).content.decode()

    assert "ask the exam's examiner (exams@math.example.edu)" in page


def test_a_purged_file_says_when_and_why_and_keeps_its_checksum(client, submission):
    Submission.objects.filter(pk=submission.pk).update(file_deleted_at=timezone.now())

    response = client.get("/verify/", {"code": submission.verification_code})
    download = client.get(f"/verify/{submission.verification_code}/download/")

    page = response.content.decode()
    assert "deleted on" in page and "under the retention policy" in page
    assert submission.sha256 in page
    assert download.status_code == 410


def test_a_superseded_file_whose_delete_failed_is_410_to_its_old_code(client, student):
    # The later upload could not delete the earlier object: it is still in storage, and the
    # earlier row still says it has a file.
    earlier = SubmissionFactory(student=student, stored=True, superseded_at=timezone.now())
    SubmissionFactory(student=student, stored=True)
    assert default_storage.exists(earlier.file.name) and earlier.has_file()

    response = client.get(f"/verify/{earlier.verification_code}/download/")

    assert response.status_code == 410
    assert "A later upload by this student replaced this file" in response.content.decode()


def test_a_local_download_of_an_object_gone_from_storage_is_410(client, student):
    lost = SubmissionFactory(student=student)  # its key names no object
    link = client.get(f"/verify/{lost.verification_code}/download/")["Location"]

    response = client.get(link)

    assert response.status_code == 410
    assert "This file is missing from our storage" in response.content.decode()
    assert lost.sha256 in response.content.decode()


def test_download_404s_an_unknown_code(client, db):
    assert client.get("/verify/ZZZZZZZZZZZZ/download/").status_code == 404

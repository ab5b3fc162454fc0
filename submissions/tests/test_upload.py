from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from submissions.models import Submission
from submissions.tests.helpers import post_upload, sha256, upload_url

pytestmark = pytest.mark.django_db


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file())


def test_it_shows_the_students_page(client, student):
    student.exam.closes_at = timezone.now() + timedelta(days=1)
    student.exam.save()

    response = client.get(upload_url(student))

    assert response.status_code == 200
    page = response.content.decode()
    assert student.exam.title in page
    assert student.full_name in page
    assert 'data-testid="uploads-left">5</span> of 5' in page
    assert "Deadline:</strong> none" not in page
    assert 'enctype="multipart/form-data"' in page


def test_it_404s_an_unknown_code(client, db):
    response = client.get("/u/not-a-real-code/")

    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_it_saves_the_file(client, student, local_storage):
    content = b"%PDF-1.7 the answer is 42"

    response = post_upload(client, student, content, name="My Answer.pdf")

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        f"/u/{student.upload_code}/receipt/{submission.verification_code}/"
    )
    assert submission.original_name == "My Answer.pdf"
    assert submission.size == len(content)
    assert submission.sha256 == sha256(content)
    assert submission.content_type == "application/pdf"
    assert "Answer" not in submission.file.name and submission.file.name.startswith("submissions/")
    with default_storage.open(submission.file.name) as stored:
        assert stored.read() == content
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_it_lands_on_a_receipt(client, student):
    content = b"answers"
    response = post_upload(client, student, content, name="answers.txt")

    receipt = client.get(response["Location"])

    submission = Submission.objects.get()
    page = receipt.content.decode()
    assert receipt.status_code == 200
    assert submission.display_code in page
    assert sha256(content) in page
    assert "answers.txt" in page
    assert "4 of 5" in page or "Uploads left: 4 of 5" in page


def test_a_new_upload_replaces_the_stored_file(client, student, local_storage):
    post_upload(client, student, b"first", name="first.pdf")
    first = Submission.objects.get()

    post_upload(client, student, b"second", name="second.pdf")

    first.refresh_from_db()
    second = Submission.objects.current().get()
    assert first.superseded_at is not None and first.file_deleted_at is not None
    assert not default_storage.exists(first.file.name)
    assert default_storage.exists(second.file.name)
    assert stored_files(local_storage) == [local_storage / second.file.name]


def test_the_fifth_upload_works_and_the_sixth_is_refused(client, student, local_storage):
    for n in range(5):
        assert post_upload(client, student, f"v{n}".encode()).status_code == 302

    response = post_upload(client, student, b"one too many")

    assert response.status_code == 403
    assert "You have used all your uploads" in response.content.decode()
    assert Submission.objects.count() == 5
    current = Submission.objects.current().get()
    assert default_storage.open(current.file.name).read() == b"v4"
    assert len(stored_files(local_storage)) == 1
    student.refresh_from_db()
    assert student.uploads_used == 5


def test_it_refuses_a_file_over_the_limit_naming_both_sizes(client, student, local_storage):
    student.exam.max_upload_bytes = 10_000
    student.exam.save()

    response = post_upload(client, student, b"x" * 12_000)

    page = response.content.decode()
    assert response.status_code == 413
    assert "This file is 11.7\xa0KB; the limit is 9.8\xa0KB" in page
    assert not Submission.objects.exists()
    assert stored_files(local_storage) == []
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_it_refuses_a_declared_oversized_body_before_reading_it(client, student, local_storage):
    response = post_upload(client, student, b"x" * (4 * 1024 * 1024 + 200_000))

    assert response.status_code == 413
    assert "the limit is 3.0\xa0MB" in response.content.decode()
    assert not Submission.objects.exists()
    assert stored_files(local_storage) == []


def test_an_oversized_file_keeps_the_earlier_submission(client, student):
    post_upload(client, student, b"good answer")

    response = post_upload(client, student, b"x" * (3 * 1024 * 1024 + 1))

    assert response.status_code == 413
    current = Submission.objects.current().get()
    assert default_storage.open(current.file.name).read() == b"good answer"
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_it_refuses_an_empty_file(client, student, local_storage):
    response = post_upload(client, student, b"", name="empty.pdf")

    assert response.status_code == 400
    assert "This file is empty" in response.content.decode()
    assert not Submission.objects.exists()
    assert stored_files(local_storage) == []


def test_it_asks_for_a_missing_file(client, student):
    response = client.post(upload_url(student), {"form_token": "t" * 32})

    assert response.status_code == 400
    assert "Please choose a file to upload." in response.content.decode()
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_it_refuses_uploads_to_a_closed_exam(client, student, local_storage):
    student.exam.closes_at = timezone.now() - timedelta(minutes=1)
    student.exam.save()

    page = client.get(upload_url(student)).content.decode()
    response = post_upload(client, student)

    assert "Uploads are closed" in page and '<input type="file"' not in page
    assert response.status_code == 403
    assert "Uploads for this exam are closed" in response.content.decode()
    assert stored_files(local_storage) == []


def test_a_repeated_post_of_the_same_form_shows_the_first_receipt(client, student):
    first = post_upload(client, student, b"answer", token="same-form-token-123")

    again = post_upload(client, student, b"answer", token="same-form-token-123")

    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Submission.objects.count() == 1
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_the_receipt_404s_for_another_students_code(client, student):
    from students.tests.factories import StudentFactory

    post_upload(client, student)
    other = StudentFactory(exam=student.exam)
    code = Submission.objects.get().verification_code

    response = client.get(f"/u/{other.upload_code}/receipt/{code}/")

    assert response.status_code == 404


def test_a_very_long_file_name_is_shortened_keeping_its_extension(client, student):
    response = post_upload(client, student, b"answer", name="a" * 400 + ".pdf")

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert len(submission.original_name) == 255
    assert submission.original_name.endswith("aaa.pdf")

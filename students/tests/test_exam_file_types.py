import pytest
from django.urls import reverse

from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def edit(client, exam, allowed):
    return client.post(
        reverse("students:exam_edit", args=[exam.pk]),
        {
            "title": exam.title,
            "max_upload_mb": "3",
            "max_uploads": exam.max_uploads,
            "delivery_minutes": 30,
            "allowed_extensions": allowed,
            "time_zone": exam.time_zone,
            "retention_days": exam.retention_days,
        },
    )


def test_an_examiner_restricts_the_file_types(examiner_client, client, exam, student):
    assert edit(examiner_client, exam, "PDF, .docx").status_code == 302

    exam.refresh_from_db()
    assert exam.allowed_extensions == "pdf, docx"
    assert post_upload(client, student, content=b"\x89PNG\r\n", name="a.png").status_code == 400
    assert post_upload(client, student, content=b"%PDF-1.4", name="a.pdf").status_code == 302


def test_it_refuses_what_cannot_be_an_extension(examiner_client, exam):
    response = edit(examiner_client, exam, "pdf, <b>")

    assert response.status_code == 422
    assert "is not a file extension" in response.content.decode()


def test_empty_means_any_type(examiner_client, client, exam, student):
    edit(examiner_client, exam, "")

    assert post_upload(client, student, content=b"\x00\x01", name="a.bin").status_code == 302


def test_the_exam_form_says_each_upload_replaces_the_last_and_photos_become_a_pdf(
    examiner_client, exam
):
    page = examiner_client.get(reverse("students:exam_edit", args=[exam.pk])).content.decode()

    assert "An exam is one file per student: each upload replaces the previous one" in page
    assert "students can photograph paper pages on their phone and send them as one PDF" in page


@pytest.mark.parametrize(
    ("allowed", "photos"), [("pdf", True), ("", True), ("docx", False), ("jpg", False)]
)
def test_the_exam_page_says_one_file_counts_and_when_photos_become_a_pdf(
    examiner_client, exam, allowed, photos
):
    exam.allowed_extensions = allowed
    exam.save()

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "one file counts: each upload replaces the previous one" in page
    assert ("students can send photos of paper pages as one PDF" in page) is photos


def test_the_student_page_says_it_too(client, student):
    from submissions.tests.helpers import upload_url

    student.exam.allowed_extensions = "pdf"
    student.exam.save()
    page = client.get(upload_url(student)).content.decode()

    assert "each new upload replaces the previous one" in page
    assert "Answer on paper? Choose a photo of every page at once: they become one PDF." in page
    assert 'id="scan"' in page and "multiple" in page

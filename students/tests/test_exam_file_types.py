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

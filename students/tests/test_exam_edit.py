"""Editing an exam."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_edits_an_exam(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/edit/",
        {
            "title": "Renamed",
            "time_zone": "UTC",
            "retention_days": 3,
            "max_upload_mb": "1.5",
            "max_uploads": 2,
        },
    )

    exam.refresh_from_db()
    assert response.status_code == 302
    assert (exam.title, exam.max_upload_bytes, exam.max_uploads) == ("Renamed", 1572864, 2)


def test_the_file_size_limit_cannot_pass_what_the_server_accepts(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/edit/",
        {
            "title": "Too big",
            "time_zone": "UTC",
            "retention_days": 3,
            "max_upload_mb": "500",
            "max_uploads": 5,
        },
    )

    exam.refresh_from_db()
    assert response.status_code == 422  # an invalid post re-renders with 422
    assert "The server accepts files up to 20.0\xa0MB." in response.content.decode()
    assert exam.max_upload_bytes == 3 * 1024 * 1024


def test_blind_review_is_switched_on_and_off_on_the_form(examiner_client, exam):
    data = {
        "title": exam.title,
        "time_zone": "UTC",
        "retention_days": 3,
        "max_upload_mb": "3",
        "max_uploads": 5,
    }
    page = examiner_client.get(f"/exams/{exam.pk}/edit/").content.decode()
    assert 'name="blind_review"' in page
    assert "names from the code lookup page and from the readable part" in page

    examiner_client.post(f"/exams/{exam.pk}/edit/", {**data, "blind_review": "on"})
    exam.refresh_from_db()
    assert exam.blind_review is True

    examiner_client.post(f"/exams/{exam.pk}/edit/", data)
    exam.refresh_from_db()
    assert exam.blind_review is False

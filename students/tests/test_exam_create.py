"""Creating an exam."""

import pytest

from students.models import Exam

pytestmark = pytest.mark.django_db


def test_it_creates_an_exam(examiner_client, examiner):
    response = examiner_client.post(
        "/exams/new/",
        {
            "title": "Physics final",
            "closes_at": "2030-06-01T12:00",
            "max_upload_mb": "3",
            "max_uploads": 5,
            "delivery_minutes": 30,
            "time_zone": "UTC",
            "retention_days": 3,
        },
    )

    exam = Exam.objects.get(title="Physics final")
    assert response.status_code == 302 and response["Location"] == f"/exams/{exam.pk}/"
    assert exam.owner == examiner
    assert exam.closes_at.year == 2030


def test_new_exams_get_the_default_limits(examiner_client):
    form = examiner_client.get("/exams/new/").context["form"]

    assert form["max_upload_mb"].value() == 3
    assert form["max_uploads"].value() == 5

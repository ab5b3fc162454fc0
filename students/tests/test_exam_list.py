"""The dashboard: the examiner's list of exams."""

import pytest

from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def test_the_dashboard_needs_a_login(client):
    response = client.get("/exams/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_exam_list_counts_submissions(examiner_client, client, exam):
    post_upload(client, StudentFactory(exam=exam))
    post_upload(client, StudentFactory(exam=exam))
    StudentFactory(exam=exam)

    page = examiner_client.get("/exams/").content.decode()

    assert "2 of 3" in page

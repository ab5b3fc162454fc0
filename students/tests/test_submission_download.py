"""The examiner downloads a student's file."""

import pytest
from django.urls import reverse

from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def test_the_examiner_downloads_a_current_file(examiner_client, client, student):
    post_upload(client, student, b"the answer", name="answer.pdf")
    submission = Submission.objects.get()
    url = reverse("students:submission_download", args=[student.exam.pk, student.pk, submission.pk])

    response = examiner_client.get(url)
    file_response = examiner_client.get(response["Location"])

    assert response.status_code == 302
    assert b"".join(file_response.streaming_content) == b"the answer"

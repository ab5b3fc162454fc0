"""The examiner's page for one student."""

import pytest

from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def test_the_student_page_shows_the_full_upload_link_and_history(examiner_client, client, student):
    post_upload(client, student, b"one", name="one.pdf")
    post_upload(client, student, b"two", name="two.pdf")

    response = examiner_client.get(student.get_absolute_url())

    page = response.content.decode()
    assert f'value="http://testserver/u/{student.upload_code}/"' in page
    assert "Copy link" in page
    assert "one.pdf" in page and "two.pdf" in page and "replaced" in page

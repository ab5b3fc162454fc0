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


def test_each_list_on_the_page_is_a_titled_section_that_says_when_it_is_empty(
    examiner_client, client, student
):
    empty = examiner_client.get(student.get_absolute_url()).content.decode()
    post_upload(client, student, b"one", name="one.pdf")
    filled = examiner_client.get(student.get_absolute_url()).content.decode()

    for name, title, nothing in [
        ("submissions", "Submissions", "Nothing uploaded yet."),
        ("mails", "Mail", "No mail yet."),
        ("events", "Activity", "No activity yet."),
    ]:
        assert f'<h2 id="{name}-title">{title}</h2>' in empty
        assert f'aria-labelledby="{name}-title"' in empty
        assert nothing in empty
    assert '<table class="table submissions">' in filled and "one.pdf" in filled
    assert '<table class="table events">' in filled

import pytest

pytestmark = pytest.mark.django_db


def test_code_pages_link_to_a_logout_confirmation_instead_of_posting(examiner_client, student):
    page = examiner_client.get(f"/u/{student.upload_code}/").content.decode()

    assert '<a href="/accounts/logout/">Log out</a>' in page
    assert 'action="/accounts/logout/"' not in page


def test_other_pages_log_out_with_a_form(examiner_client):
    page = examiner_client.get("/exams/").content.decode()

    assert 'action="/accounts/logout/"' in page


def test_logout_asks_on_get_and_logs_out_on_post(examiner_client):
    confirm = examiner_client.get("/accounts/logout/")
    still_in = examiner_client.get("/exams/")
    examiner_client.post("/accounts/logout/")
    after = examiner_client.get("/exams/")

    assert confirm.status_code == 200 and "Log out?" in confirm.content.decode()
    assert still_in.status_code == 200
    assert after.status_code == 302

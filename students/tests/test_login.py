"""The examiner's login page."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_examiner_logs_in_and_sees_their_exams(client, exam):
    response = client.post(
        "/accounts/login/",
        {"username": exam.owner.username, "password": "correct horse battery staple"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/exams/"
    assert exam.title in response.content.decode()


def test_a_wrong_password_is_refused(client, examiner):
    response = client.post("/accounts/login/", {"username": examiner.username, "password": "no"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()

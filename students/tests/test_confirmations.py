"""Exam-wide and destructive actions go through a confirmation page that says what will
happen to how many students; the page's form does the action, the first click never."""

import pytest
from django.urls import reverse

from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def state_url(exam):
    return reverse("students:exam_state", args=[exam.pk])


def test_the_exam_page_asks_for_the_confirmation_page(examiner_client, exam):
    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert f'<form method="get" action="{state_url(exam)}"' in page
    assert f'<form method="post" action="{state_url(exam)}"' not in page


def test_close_now_says_how_many_cannot_submit_then(examiner_client, client, exam):
    submitted, _, _ = StudentFactory.create_batch(3, exam=exam)
    post_upload(client, submitted)

    response = examiner_client.get(state_url(exam), {"state": "closed"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Uploads stop at once for all 3 students" in page
    assert "2 of them have not submitted yet and then cannot." in page
    assert 'name="state" value="closed"' in page
    exam.refresh_from_db()
    assert exam.manual_state == ""


def test_one_student_waiting_is_said_in_the_singular(examiner_client, exam):
    StudentFactory(exam=exam)

    page = examiner_client.get(state_url(exam), {"state": "closed"}).content.decode()

    assert "Uploads stop at once for the 1 student," in page
    assert "1 of them has not submitted yet" in page


def test_open_now_says_whom_it_opens_for(examiner_client, exam):
    StudentFactory.create_batch(2, exam=exam)

    page = examiner_client.get(state_url(exam), {"state": "open"}).content.decode()

    assert "All 2 students can upload from now on" in page


def test_the_post_from_the_page_closes_it(examiner_client, exam):
    response = examiner_client.post(state_url(exam), {"state": "closed"})

    assert response.status_code == 302
    exam.refresh_from_db()
    assert exam.manual_state == "closed"
    assert not exam.is_open()


@pytest.mark.parametrize("query", [{}, {"state": "sideways"}])
def test_nothing_to_confirm_goes_back_to_the_exam(examiner_client, exam, query):
    response = examiner_client.get(state_url(exam), query)

    assert response.status_code == 302
    assert response["Location"] == exam.get_absolute_url()


def test_a_new_link_is_confirmed_first(examiner_client, student):
    url = reverse("students:student_new_link", args=[student.exam_id, student.pk])
    code = student.upload_code

    response = examiner_client.get(url)

    assert response.status_code == 200
    assert "stops working at once" in response.content.decode()
    student.refresh_from_db()
    assert student.upload_code == code
    assert examiner_client.post(url).status_code == 302
    student.refresh_from_db()
    assert student.upload_code != code


def test_every_confirmation_works_without_javascript(examiner_client, student):
    """Each is a plain page whose one form posts back to it: no script needed."""
    exam = student.exam
    urls = [
        state_url(exam) + "?state=closed",
        reverse("students:student_new_link", args=[exam.pk, student.pk]),
        reverse("students:student_remove", args=[exam.pk, student.pk]),
        reverse("students:exam_archive", args=[exam.pk]),
        reverse("students:exam_delete", args=[exam.pk]),
    ]
    for url in urls:
        page = examiner_client.get(url).content.decode()
        assert 'data-testid="confirmation"' in page, url
        assert f'<form method="post" action="{url.split("?")[0]}"' in page, url
        assert "<script" not in page.split("<footer")[0].split("<main")[1], url

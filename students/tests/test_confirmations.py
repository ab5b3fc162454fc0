"""Exam-wide and destructive actions go through a confirmation page that says what will
happen to how many students; the page's form does the action, the first click never."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from students.tests.factories import StudentFactory
from submissions.tests.helpers import commit_file, post_upload

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


def test_close_now_says_it_refuses_the_committed_files_still_awaited(examiner_client, exam):
    awaited, _ = StudentFactory.create_batch(2, exam=exam)
    before = examiner_client.get(state_url(exam), {"state": "closed"}).content.decode()
    commit_file(awaited)

    after = examiner_client.get(state_url(exam), {"state": "closed"}).content.decode()

    assert "committed a file" not in before
    assert (
        "1 of them committed a file whose bytes have not arrived yet: it is then refused, "
        "even within its delivery window." in after
    )


def test_close_now_names_the_new_deletion_date_and_the_extensions_it_ends(
    examiner_client, client, exam
):
    moment = datetime(2030, 12, 10, 9, 0, tzinfo=UTC)
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = moment + timedelta(days=2)  # due 12 Dec: files kept until 15 Dec
    exam.retention_days = 3
    exam.save()
    ada = StudentFactory(exam=exam, first_name="Ada", last_name="King")
    StudentFactory(
        exam=exam, first_name="Bo", last_name="Late", extended_until=moment + timedelta(days=4)
    )
    StudentFactory(exam=exam, extended_until=moment - timedelta(hours=1))  # run out: not named
    with time_machine.travel(moment - timedelta(hours=1), tick=False):
        post_upload(client, ada)

    with time_machine.travel(moment, tick=False):
        examiner_client.force_login(exam.owner)
        page = examiner_client.get(state_url(exam), {"state": "closed"}).content.decode()

    assert (
        "The files are then deleted on Friday 13 December 2030, 10:00 CET, 3 days from now, "
        "instead of Sunday 15 December 2030, 10:00 CET as now planned."
    ) in page
    assert "1 extension ends with it: Bo Late (until 14 Dec 2030, 10:00 CET)." in page


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


@pytest.mark.parametrize(
    ("after_due", "badge"),
    [(timedelta(0), "late window"), (timedelta(hours=2) - timedelta(seconds=1), "late window")],
)
def test_between_due_and_cut_off_the_exam_says_late_window(examiner_client, exam, after_due, badge):
    due = datetime(2030, 12, 10, 9, 0, tzinfo=UTC)
    exam.closes_at, exam.cutoff_at = due, due + timedelta(hours=2)
    exam.save()

    with time_machine.travel(due + after_due, tick=False):
        examiner_client.force_login(exam.owner)
        page = examiner_client.get(exam.get_absolute_url()).content.decode()
        listing = examiner_client.get(reverse("students:exam_list")).content.decode()

    assert f'<span class="badge late" data-testid="exam-state">{badge}</span>' in page
    assert '<span class="badge">open</span>' not in page
    assert f'<span class="badge late">{badge}</span>' in listing
    assert "uploads after the due time are still accepted and marked late" in page


@pytest.mark.parametrize(
    ("moment", "shown"), [(timedelta(hours=-1), "open"), (timedelta(hours=2), "closed")]
)
def test_before_the_due_time_it_is_open_and_after_the_cut_off_closed(
    examiner_client, exam, moment, shown
):
    due = datetime(2030, 12, 10, 9, 0, tzinfo=UTC)
    exam.closes_at, exam.cutoff_at = due, due + timedelta(hours=2)
    exam.save()

    with time_machine.travel(due + moment, tick=False):
        examiner_client.force_login(exam.owner)
        page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert f'<span class="badge">{shown}</span>' in page
    assert "late window" not in page


def test_open_now_and_close_now_say_what_each_does(examiner_client, exam):
    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "Open now: students can upload at once, whatever the times say" in page
    assert "Close now: uploads stop at once for everyone, extensions included" in page

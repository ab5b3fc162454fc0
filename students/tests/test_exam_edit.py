"""Editing an exam."""

from datetime import UTC, datetime

import pytest
import time_machine

from students.tests.factories import StudentFactory, SubmissionFactory

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
            "delivery_minutes": 30,
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
            "delivery_minutes": 30,
        },
    )

    exam.refresh_from_db()
    assert response.status_code == 422  # an invalid post re-renders with 422
    assert "The server accepts files up to 20.0\xa0MB." in response.content.decode()
    assert exam.max_upload_bytes == 3 * 1024 * 1024


def past_due_post(client, exam, **extra):
    return client.post(
        f"/exams/{exam.pk}/edit/",
        {
            "title": exam.title,
            "time_zone": "UTC",
            "retention_days": 3,
            "max_upload_mb": "3",
            "max_uploads": 5,
            "delivery_minutes": 30,
            "closes_at": "2030-12-10T09:00",
            **extra,
        },
    )


def test_moving_the_due_time_into_the_past_warns_with_the_numbers_first(examiner_client, exam):
    exam.closes_at = datetime(2030, 12, 20, 9, 0, tzinfo=UTC)
    exam.save()
    on_time, _waiting, _also = StudentFactory.create_batch(3, exam=exam)
    StudentFactory(exam=exam, extended_until=datetime(2030, 12, 30, tzinfo=UTC))  # own time
    SubmissionFactory(student=on_time, accepted_at=datetime(2030, 12, 10, 10, 0, tzinfo=UTC))

    with time_machine.travel(datetime(2030, 12, 11, tzinfo=UTC), tick=False):
        examiner_client.force_login(exam.owner)
        warned = past_due_post(examiner_client, exam)
        exam.refresh_from_db()
        assert exam.closes_at == datetime(2030, 12, 20, 9, 0, tzinfo=UTC)  # nothing changed
        confirmed = past_due_post(examiner_client, exam, past_due_confirmed="1")

    page = warned.content.decode()
    assert "This due time is in the past: 2 students who have not submitted yet" in page
    assert "1 upload already received after it stays marked on time." in page
    assert 'name="past_due_confirmed" value="1"' in page
    assert confirmed.status_code == 302
    exam.refresh_from_db()
    assert exam.closes_at == datetime(2030, 12, 10, 9, 0, tzinfo=UTC)


def test_a_due_time_in_the_future_needs_no_second_click(examiner_client, exam):
    with time_machine.travel(datetime(2030, 12, 1, tzinfo=UTC), tick=False):
        examiner_client.force_login(exam.owner)
        response = past_due_post(examiner_client, exam)

    assert response.status_code == 302


def test_blind_review_is_switched_on_and_off_on_the_form(examiner_client, exam):
    data = {
        "title": exam.title,
        "time_zone": "UTC",
        "retention_days": 3,
        "max_upload_mb": "3",
        "max_uploads": 5,
        "delivery_minutes": 30,
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


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (
            30,
            "30 minutes: a file whose fingerprint the student's page committed in time may "
            "follow that long, and counts as of the commitment",
        ),
        (1, "1 minute: a file whose fingerprint"),
        (0, "off: each file must arrive whole before the deadline"),
    ],
)
def test_the_exam_page_says_how_long_a_committed_file_may_follow(
    examiner_client, exam, minutes, said
):
    exam.delivery_minutes = minutes
    exam.save()

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "Delivery window:" in page
    assert said in page.replace("&#x27;", "'")


def test_the_form_explains_the_delivery_window_in_both_languages(examiner_client, exam):
    english = examiner_client.get(f"/exams/{exam.pk}/edit/").content.decode()
    german = examiner_client.get(
        f"/exams/{exam.pk}/edit/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert "Delivery window (minutes)" in english
    assert "counts as of that moment" in english
    assert "Übertragungsfrist (Minuten)" in german

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from students.models import Exam, ExaminerProfile
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import answer, post_upload
from submissions.uploadhandlers import HashingUploadHandler
from submissions.uploads import accept_upload

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


# --- Open and close by hand -----------------------------------------------------------


def test_it_closes_an_exam_by_hand(examiner_client, exam, student):
    response = examiner_client.post(f"/exams/{exam.pk}/state/", {"state": "closed"})

    exam.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/exams/{exam.pk}/"
    assert exam.manual_state == Exam.State.CLOSED
    assert post_upload(examiner_client, student).status_code == 403
    assert not Submission.objects.exists()


def test_an_exam_opened_by_hand_takes_uploads_after_its_deadline(examiner_client, exam, student):
    exam.closes_at = timezone.now() - timedelta(hours=1)
    exam.save()
    assert post_upload(examiner_client, student).status_code == 403

    examiner_client.post(f"/exams/{exam.pk}/state/", {"state": "open"})

    assert post_upload(examiner_client, student).status_code == 302


def test_it_hands_the_exam_back_to_its_deadline(examiner_client, exam):
    exam.set_manual_state("closed")

    examiner_client.post(f"/exams/{exam.pk}/state/", {"state": ""})

    exam.refresh_from_db()
    assert exam.manual_state == "" and exam.is_open()


def test_the_exam_page_offers_the_other_states(examiner_client, exam):
    exam.set_manual_state("closed")

    html = examiner_client.get(f"/exams/{exam.pk}/").content.decode()

    assert 'value="open">Open now' in html and 'value="closed"' not in html
    assert "Follow the deadline again" in html


def test_an_unknown_state_changes_nothing(examiner_client, exam):
    examiner_client.post(f"/exams/{exam.pk}/state/", {"state": "ajar"})

    exam.refresh_from_db()
    assert exam.manual_state == ""


def test_changing_the_state_needs_a_post(examiner_client, exam):
    """A GET only shows the confirmation page (students/tests/test_confirmations.py)."""
    assert examiner_client.get(f"/exams/{exam.pk}/state/?state=closed").status_code == 200
    exam.refresh_from_db()
    assert exam.manual_state == ""


def test_another_examiner_cannot_close_my_exam(examiner_client):
    other = ExamFactory()

    assert examiner_client.post(f"/exams/{other.pk}/state/", {"state": "closed"}).status_code == 404
    other.refresh_from_db()
    assert other.manual_state == ""


# --- Per-student extension --------------------------------------------------------------


def extension_url(student):
    return f"/exams/{student.exam_id}/students/{student.pk}/extension/"


def test_an_extension_lets_one_student_upload_after_the_deadline(examiner_client, exam):
    exam.closes_at = timezone.now() - timedelta(hours=1)
    exam.save()
    late, other = StudentFactory(exam=exam), StudentFactory(exam=exam)
    later = timezone.localtime() + timedelta(days=1)

    response = examiner_client.post(
        extension_url(late), {"extended_until": later.strftime("%Y-%m-%dT%H:%M")}
    )

    late.refresh_from_db()
    assert response.status_code == 302
    assert late.deadline() == later.replace(second=0, microsecond=0)
    assert post_upload(examiner_client, late).status_code == 302
    assert post_upload(examiner_client, other).status_code == 403


@pytest.mark.parametrize(("until", "given"), [("12:00", False), ("12:01", True)])
def test_an_extension_ending_exactly_at_the_due_time_is_refused(
    examiner_client, exam, student, until, given
):
    exam.time_zone = "UTC"
    exam.closes_at = datetime(2030, 6, 1, 12, tzinfo=UTC)
    exam.save()

    response = examiner_client.post(
        extension_url(student), {"extended_until": f"2030-06-01T{until}"}
    )

    student.refresh_from_db()
    assert (response.status_code, student.extended_until is not None) == (
        (302, True) if given else (422, False)
    )


def test_an_extension_must_end_after_the_exams_deadline(examiner_client, exam, student):
    exam.closes_at = timezone.now() + timedelta(days=2)
    exam.save()
    earlier = timezone.localtime() + timedelta(days=1)

    response = examiner_client.post(
        extension_url(student), {"extended_until": earlier.strftime("%Y-%m-%dT%H:%M")}
    )

    assert response.status_code == 422
    assert "must end after the exam" in response.content.decode()
    student.refresh_from_db()
    assert student.extended_until is None


def test_an_empty_extension_takes_it_away(examiner_client, student):
    student.extend_deadline(timezone.now() + timedelta(days=1))

    examiner_client.post(extension_url(student), {"extended_until": ""})

    student.refresh_from_db()
    assert student.extended_until is None


def test_the_extension_form_starts_from_the_students_current_deadline(examiner_client, exam):
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = datetime(2030, 12, 9, 17, 0, tzinfo=UTC)
    exam.save()
    plain = StudentFactory(exam=exam)
    extended = StudentFactory(exam=exam, extended_until=datetime(2030, 12, 10, 17, 0, tzinfo=UTC))

    assert 'value="2030-12-09T18:00"' in examiner_client.get(extension_url(plain)).content.decode()
    page = examiner_client.get(extension_url(extended)).content.decode()
    assert 'value="2030-12-10T18:00"' in page
    assert 'name="add" value="hour"' in page and 'name="add" value="week"' in page


@pytest.mark.parametrize(
    ("step", "until"),
    [
        ("hour", datetime(2030, 12, 10, 18, 0, tzinfo=UTC)),
        ("day", datetime(2030, 12, 11, 17, 0, tzinfo=UTC)),
        ("week", datetime(2030, 12, 17, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_step_moves_the_current_deadline_by_that_much(examiner_client, exam, step, until):
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = datetime(2030, 12, 9, 17, 0, tzinfo=UTC)
    exam.save()
    student = StudentFactory(exam=exam, extended_until=datetime(2030, 12, 10, 17, 0, tzinfo=UTC))

    response = examiner_client.post(extension_url(student), {"add": step, "extended_until": ""})

    assert response.status_code == 302
    student.refresh_from_db()
    assert student.extended_until == until


def test_the_student_page_shows_their_own_deadline(client, exam):
    exam.closes_at = DEADLINE
    exam.save()
    student = StudentFactory(exam=exam, extended_until=DEADLINE + timedelta(days=2))

    html = client.get(f"/u/{student.upload_code}/").content.decode()

    assert "3 June 2030" in html


def test_another_examiner_cannot_extend_my_student(examiner_client):
    student = StudentFactory()

    response = examiner_client.post(extension_url(student), {"extended_until": ""})

    assert response.status_code == 404


# --- Time zones -------------------------------------------------------------------------


def test_an_examiner_chooses_their_time_zone(examiner_client, examiner):
    response = examiner_client.post("/exams/time-zone/", {"time_zone": "Asia/Kolkata"})

    assert response.status_code == 302
    assert examiner.examiner_profile.time_zone == "Asia/Kolkata"
    examiner_client.post("/exams/time-zone/", {"time_zone": "Europe/Paris"})
    examiner.examiner_profile.refresh_from_db()
    assert examiner.examiner_profile.time_zone == "Europe/Paris"


def test_an_unknown_time_zone_is_refused(examiner_client, examiner):
    response = examiner_client.post("/exams/time-zone/", {"time_zone": "Mars/Olympus"})

    assert response.status_code == 422
    assert not ExaminerProfile.objects.exists()


# --- An upload that started before the deadline counts ------------------------------------

clock = None


class SlowNetwork(HashingUploadHandler):
    """The body takes two minutes to arrive: the clock moves on while it is read."""

    def receive_data_chunk(self, raw_data, start):
        if start == 0:
            clock.shift(timedelta(minutes=2))
        return super().receive_data_chunk(raw_data, start)


@pytest.fixture
def slow_network(settings):
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.SlowNetwork"]


def test_an_upload_that_started_before_the_deadline_counts(client, exam, student, slow_network):
    global clock
    exam.closes_at = DEADLINE
    exam.save()

    with time_machine.travel(DEADLINE - timedelta(minutes=1), tick=False) as clock:
        response = post_upload(client, student)

    assert response.status_code == 302
    submission = student.submissions.get()
    assert submission.accepted_at == DEADLINE + timedelta(minutes=1)  # after the deadline
    assert submission.late_by is None  # on time: lateness is judged as of the start


def test_an_upload_that_started_after_the_deadline_is_refused(client, exam, student, slow_network):
    global clock
    exam.closes_at = DEADLINE
    exam.save()

    with time_machine.travel(DEADLINE + timedelta(seconds=1), tick=False) as clock:
        response = post_upload(client, student)

    assert response.status_code == 403
    assert "Uploads for this exam are closed" in response.content.decode()
    assert not Submission.objects.exists()


def test_accept_upload_checks_the_rules_as_of_the_start(student):
    student.exam.closes_at = DEADLINE
    student.exam.save()

    with time_machine.travel(DEADLINE + timedelta(minutes=5), tick=False):
        upload = answer()
        upload.sha256 = "0" * 64
        submission = accept_upload(student, upload, "token-1", at=DEADLINE - timedelta(seconds=1))

    assert submission.accepted_at == DEADLINE + timedelta(minutes=5)


def test_lateness_is_counted_to_the_uploads_start_not_its_arrival(
    client, exam, student, slow_network
):
    global clock
    exam.closes_at = DEADLINE
    exam.cutoff_at = DEADLINE + timedelta(hours=1)
    exam.save()

    with time_machine.travel(DEADLINE + timedelta(minutes=5), tick=False) as clock:
        assert post_upload(client, student).status_code == 302

    submission = student.submissions.get()
    assert submission.accepted_at == DEADLINE + timedelta(minutes=7)
    assert submission.late_by == timedelta(minutes=5)


def test_after_choosing_a_zone_it_goes_back_to_the_page_it_came_from(examiner_client, exam):
    url = f"/exams/time-zone/?next=/exams/{exam.pk}/"

    response = examiner_client.post(url, {"time_zone": "Asia/Kolkata"})

    assert response["Location"] == f"/exams/{exam.pk}/"


def test_it_never_sends_the_examiner_to_another_site(examiner_client):
    response = examiner_client.post(
        "/exams/time-zone/?next=https://evil.example/", {"time_zone": "Asia/Kolkata"}
    )

    assert response["Location"] == "/exams/"


def test_the_zone_page_starts_from_the_sites_zone_and_offers_the_browsers(
    examiner_client, settings
):
    response = examiner_client.get("/exams/time-zone/")

    assert response.context["form"]["time_zone"].value() == settings.TIME_ZONE
    assert 'data-suggest="browser"' in response.content.decode()
    assert "js/timezone.js" in response.content.decode()

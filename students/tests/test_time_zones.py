"""Every exam has a time zone: its times are typed and shown in it, with the zone named."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from students.models import Exam, ExaminerProfile
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from students.times import format_time

pytestmark = pytest.mark.django_db

DUE = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def exam_data(**fields):
    return {
        "title": "Physics final",
        "time_zone": "UTC",
        "max_upload_mb": "3",
        "max_uploads": 5,
        "delivery_minutes": 30,
        "retention_days": 3,
        **fields,
    }


def test_the_exam_page_shows_times_in_the_exams_zone_not_the_examiners(examiner_client, examiner):
    ExaminerProfile.objects.create(user=examiner, time_zone="Asia/Tokyo")
    exam = ExamFactory(owner=examiner, time_zone="America/New_York", closes_at=DUE)

    html = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "1 Jun 2030, 08:00 EDT" in html
    assert "Times in America/New_York" in html


def test_the_students_page_names_the_exams_zone(client):
    student = StudentFactory(exam=ExamFactory(time_zone="Europe/Berlin", closes_at=DUE))

    html = client.get(student.get_upload_url()).content.decode()

    assert "Saturday 1 June 2030, 14:00 CEST" in html
    assert 'data-exam-zone="Europe/Berlin"' in html  # the page adds the browser's own time


def test_times_typed_in_the_exam_form_are_read_in_the_zone_posted_with_them(examiner_client):
    response = examiner_client.post(
        "/exams/new/",
        exam_data(time_zone="Europe/Berlin", closes_at="2030-06-01T14:00"),
    )

    exam = Exam.objects.get()
    assert response.status_code == 302
    assert exam.time_zone == "Europe/Berlin"
    assert exam.closes_at == DUE  # 14:00 in Berlin in summer is 12:00 UTC


def test_the_exam_form_shows_and_labels_times_in_the_exams_zone(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, time_zone="Asia/Kolkata", closes_at=DUE)

    form = examiner_client.get(reverse("students:exam_edit", args=[exam.pk])).context["form"]

    assert form["closes_at"].label == "Due (Asia/Kolkata)"
    assert form["closes_at"].value().strftime("%H:%M") == "17:30"
    html = str(form["cutoff_at"].label_tag())
    assert "Cut-off (Asia/Kolkata)" in html


def test_a_time_the_clocks_skip_is_refused_with_a_clear_message(examiner_client):
    response = examiner_client.post(
        "/exams/new/", exam_data(time_zone="Europe/Berlin", closes_at="2030-03-31T02:30")
    )

    assert response.status_code == 422
    assert not Exam.objects.exists()
    assert "2030-03-31 02:30" in response.content.decode()


def test_an_extension_is_read_in_the_exams_zone(examiner_client, examiner):
    ExaminerProfile.objects.create(user=examiner, time_zone="Asia/Tokyo")
    student = StudentFactory(exam=ExamFactory(owner=examiner, time_zone="Europe/Berlin"))
    url = reverse("students:student_extension", args=[student.exam_id, student.pk])

    examiner_client.post(url, {"extended_until": "2030-06-01T14:00"})

    student.refresh_from_db()
    assert student.extended_until == DUE


def test_a_new_exam_starts_in_the_examiners_zone(examiner_client, examiner):
    ExaminerProfile.objects.create(user=examiner, time_zone="Europe/Vienna")

    form = examiner_client.get("/exams/new/").context["form"]

    assert form["time_zone"].value() == "Europe/Vienna"


def test_without_a_zone_of_their_own_a_new_exam_starts_in_the_sites(examiner_client, settings):
    form = examiner_client.get("/exams/new/").context["form"]

    assert form["time_zone"].value() == settings.TIME_ZONE


def test_the_first_login_takes_the_browsers_zone(client):
    user = UserFactory()

    client.post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": "correct horse battery staple",
            "time_zone": "America/Chicago",
        },
    )

    assert ExaminerProfile.objects.get(user=user).time_zone == "America/Chicago"


def test_a_later_login_keeps_the_zone_the_examiner_chose(client):
    user = UserFactory()
    ExaminerProfile.objects.create(user=user, time_zone="Europe/Madrid")

    client.post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": "correct horse battery staple",
            "time_zone": "America/Chicago",
        },
    )

    assert ExaminerProfile.objects.get(user=user).time_zone == "Europe/Madrid"


def test_a_made_up_browser_zone_is_ignored(client):
    user = UserFactory()

    response = client.post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": "correct horse battery staple",
            "time_zone": "Mars/Olympus",
        },
    )

    assert response.status_code == 302
    assert not ExaminerProfile.objects.exists()


def test_the_login_page_asks_the_browser_for_its_zone(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'name="time_zone"' in html and "data-browser-zone" in html


def test_the_exam_list_shows_each_exam_in_its_own_zone(examiner_client, examiner):
    ExamFactory(owner=examiner, time_zone="Asia/Tokyo", closes_at=DUE)
    ExamFactory(owner=examiner, time_zone="America/New_York", closes_at=DUE)

    html = examiner_client.get("/exams/").content.decode()

    assert "1 Jun 2030, 21:00 JST" in html and "1 Jun 2030, 08:00 EDT" in html


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Berlin", "1 Jun 2030, 14:00 CEST"),
        ("UTC", "1 Jun 2030, 12:00 UTC"),
        ("Asia/Dubai", "1 Jun 2030, 16:00 UTC+04"),  # a zone without an abbreviation
    ],
)
def test_every_time_names_its_zone(zone, shown):
    import zoneinfo

    assert format_time(DUE, zone=zoneinfo.ZoneInfo(zone)) == shown


# `localtime` is the server machine's zone, `Factory` a placeholder: tzdata lists both.
NOT_PLACES = ["localtime", "Factory"]


@pytest.mark.parametrize("zone", NOT_PLACES)
def test_an_exam_cannot_be_in_a_zone_that_is_no_place(examiner_client, zone):
    page = examiner_client.get("/exams/new/").content.decode()
    response = examiner_client.post("/exams/new/", exam_data(time_zone=zone))

    assert f'value="{zone}"' not in page
    assert response.status_code == 422
    assert response.context["form"].errors["time_zone"]
    assert not Exam.objects.exists()


@pytest.mark.parametrize("zone", NOT_PLACES)
def test_the_api_refuses_an_exam_zone_that_is_no_place(client, examiner, zone):
    from api.models import ApiToken

    _, token = ApiToken.objects.issue(examiner, name="script", scope=ApiToken.Scope.READ_WRITE)
    response = client.post(
        "/api/v1/exams",
        {"title": "Logic", "time_zone": zone},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"
    assert not Exam.objects.exists()


@pytest.mark.parametrize("zone", NOT_PLACES)
def test_an_examiner_cannot_choose_a_zone_that_is_no_place(examiner_client, examiner, zone):
    page = examiner_client.get(reverse("students:time_zone")).content.decode()
    response = examiner_client.post(reverse("students:time_zone"), {"time_zone": zone})

    assert f'value="{zone}"' not in page
    assert response.status_code == 422
    assert not ExaminerProfile.objects.filter(user=examiner, time_zone=zone).exists()


@pytest.mark.parametrize("zone", NOT_PLACES)
def test_a_browser_zone_that_is_no_place_is_ignored_at_login(client, zone):
    user = UserFactory()

    client.post(
        "/accounts/login/",
        {"username": user.username, "password": "correct horse battery staple", "time_zone": zone},
    )

    assert not ExaminerProfile.objects.exists()


def test_a_real_place_is_still_offered(examiner_client):
    page = examiner_client.get("/exams/new/").content.decode()

    assert 'value="America/New_York"' in page and 'value="UTC"' in page

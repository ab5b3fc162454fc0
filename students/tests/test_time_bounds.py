"""One bound for every time a person or a script sets (students.times.EARLIEST..LATEST): the
exam form, the extension page, the bulk extension, the token page and /api/v1 accept exactly
the last time inside it and refuse the next, with the bound in the message; and
`manage.py check_times` finds (and with --clear empties) rows stored outside it before."""

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiToken
from students.models import Exam, Student
from students.tests.factories import ExamFactory, StudentFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
NEW_YORK = "America/New_York"
# The bound's last minute and the one after it, typed in New York (UTC-5 in December).
LAST_IN_NEW_YORK, OVER_IN_NEW_YORK = "2999-12-31T18:59", "2999-12-31T19:00"
MESSAGE = "Choose a time from 31 Dec 1999, 19:00 EST to 31 Dec 2999, 18:59 EST."


def exam_post(client, closes_at, **fields):
    data = {
        "title": "Logic",
        "closes_at": closes_at,
        "max_upload_mb": "3",
        "max_uploads": 5,
        "delivery_minutes": 30,
        "time_zone": NEW_YORK,
        "retention_days": 30,
        **fields,
    }
    return client.post("/exams/new/", data)


def test_the_exam_form_takes_the_last_time_of_the_bound(examiner_client):
    response = exam_post(examiner_client, LAST_IN_NEW_YORK)

    assert response.status_code == 302
    exam = Exam.objects.get()
    assert exam.closes_at == datetime(2999, 12, 31, 23, 59, tzinfo=UTC)
    # Every page of it shows, the deletion date (30 days on) included.
    assert examiner_client.get(exam.get_absolute_url()).status_code == 200
    assert examiner_client.get("/exams/").status_code == 200


@pytest.mark.parametrize(
    "field, value",
    [
        ("closes_at", OVER_IN_NEW_YORK),
        ("closes_at", "9999-12-31T23:59"),  # "no deadline", as an examiner may type it
        ("opens_at", "1999-12-31T18:59"),  # a minute before the first
        ("opens_at", "0001-01-01T00:00"),
        ("cutoff_at", "9999-12-31T23:59"),
    ],
)
def test_the_exam_form_refuses_a_time_past_the_bound(examiner_client, field, value):
    fields = {"closes_at": "2030-01-01T10:00", field: value}

    response = exam_post(examiner_client, **fields)

    assert response.status_code == 422
    assert MESSAGE in response.content.decode()
    assert not Exam.objects.exists()


def test_the_exam_form_takes_the_first_time_of_the_bound(examiner_client):
    response = exam_post(examiner_client, "2030-01-01T10:00", opens_at="1999-12-31T19:00")

    assert response.status_code == 302
    assert Exam.objects.get().opens_at == datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def ny_student(examiner):
    exam = ExamFactory(
        owner=examiner, time_zone=NEW_YORK, closes_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    return StudentFactory(exam=exam)


def extension_url(student):
    return f"/exams/{student.exam_id}/students/{student.pk}/extension/"


def test_an_extension_takes_the_last_time_and_refuses_the_next(examiner_client, ny_student):
    refused = examiner_client.post(extension_url(ny_student), {"extended_until": OVER_IN_NEW_YORK})
    ny_student.refresh_from_db()
    assert ny_student.extended_until is None
    assert MESSAGE in refused.content.decode()

    taken = examiner_client.post(extension_url(ny_student), {"extended_until": LAST_IN_NEW_YORK})

    assert taken.status_code == 302
    ny_student.refresh_from_db()
    assert ny_student.extended_until == datetime(2999, 12, 31, 23, 59, tzinfo=UTC)
    assert examiner_client.get(ny_student.get_absolute_url()).status_code == 200
    assert examiner_client.get(ny_student.get_upload_url()).status_code == 200


@pytest.mark.parametrize(
    "value, status", [(LAST_IN_NEW_YORK, 302), (OVER_IN_NEW_YORK, 422), ("9999-12-31T23:59", 422)]
)
def test_the_bulk_extension_holds_to_the_bound(examiner_client, ny_student, value, status):
    data = {"action": "extend", "student": [ny_student.pk], "extended_until": value, "expected": 1}

    response = examiner_client.post(f"/exams/{ny_student.exam_id}/bulk/", data)

    assert response.status_code == status
    ny_student.refresh_from_db()
    if status == 422:
        assert MESSAGE in response.content.decode()
        assert ny_student.extended_until is None
    else:
        assert ny_student.extended_until == datetime(2999, 12, 31, 23, 59, tzinfo=UTC)


def test_a_token_expiry_holds_to_the_bound(examiner_client, examiner):
    page = reverse("api_tokens:list")
    refused = examiner_client.post(
        page, {"name": "sync", "scope": "read", "expires_at": "9999-12-31T23:59"}
    )
    assert refused.status_code == 422
    assert "Choose a time from" in refused.content.decode()
    assert not ApiToken.objects.exists()

    taken = examiner_client.post(
        page, {"name": "sync", "scope": "read", "expires_at": "2999-12-31T23:59"}
    )
    assert taken.status_code == 201


# --- /api/v1 ---------------------------------------------------------------------------


@pytest.fixture
def api(client, examiner):
    _, token = ApiToken.objects.issue(examiner, name="script", scope=ApiToken.Scope.READ_WRITE)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


API_MESSAGE = "Choose a time from 1 Jan 2000, 00:00 UTC to 31 Dec 2999, 23:59 UTC."


@pytest.mark.parametrize(
    "field, value, status",
    [
        ("closes_at", "2999-12-31T23:59:59Z", 201),
        ("closes_at", "3000-01-01T00:00:00Z", 422),
        ("closes_at", "2999-12-31T23:59:59-14:00", 422),
        ("closes_at", "9999-12-31T23:59:59-14:00", 422),
        ("opens_at", "2000-01-01T00:00:00Z", 201),
        ("opens_at", "1999-12-31T23:59:59Z", 422),
        ("opens_at", "0001-01-01T00:00:00+14:00", 422),
    ],
)
def test_the_api_holds_exam_times_to_the_bound(api, field, value, status):
    response = api.post(
        "/api/v1/exams",
        {"title": "Logic", "time_zone": "UTC", field: value},
        content_type=JSON,
    )

    assert response.status_code == status, response.content
    if status == 422:
        [error] = response.json()["errors"]
        assert error["field"] == field and API_MESSAGE in error["message"]
        assert not Exam.objects.exists()


@pytest.mark.parametrize(
    "value, status", [("2999-12-31T23:59:59Z", 200), ("3000-01-01T00:00:00Z", 422)]
)
def test_the_api_holds_an_extension_to_the_bound(api, examiner, value, status):
    exam = ExamFactory(owner=examiner, time_zone="UTC", closes_at=datetime(2030, 1, 1, tzinfo=UTC))
    student = StudentFactory(exam=exam)

    response = api.patch(
        f"/api/v1/exams/{exam.pk}/students/{student.pk}",
        {"extended_until": value},
        content_type=JSON,
    )

    assert response.status_code == status, response.content
    student.refresh_from_db()
    expected = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC) if status == 200 else None
    assert student.extended_until == expected


# --- Rows stored before the bound ----------------------------------------------------


def store_far_times():
    """Rows as the old forms and API stored them: PostgreSQL keeps what Python cannot read."""
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    exam = ExamFactory()
    Exam.objects.filter(pk=exam.pk).update(closes_at=far)
    student = StudentFactory(exam=ExamFactory())
    Student.objects.filter(pk=student.pk).update(
        extended_until=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    )
    kept = ExamFactory(closes_at=datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC))
    return exam, student, kept


def check_times(*args):
    out = io.StringIO()
    try:
        call_command("check_times", *args, stdout=out)
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue()


@pytest.mark.postgres
def test_check_times_names_rows_out_of_range_and_fails():
    exam, student, kept = store_far_times()

    status, out = check_times()

    assert status == 1
    assert f"students.Exam {exam.pk}: closes_at = 10000-01-01 13:59:59+00" in out
    assert f"students.Student {student.pk}: extended_until = " in out
    assert f"students.Exam {kept.pk}" not in out
    assert "2 stored times out of range; --clear empties them." in out


@pytest.mark.postgres
def test_check_times_clear_empties_them_and_the_pages_load_again(examiner_client, examiner):
    exam, student, kept = store_far_times()
    Exam.objects.filter(pk=exam.pk).update(owner=examiner)

    status, out = check_times("--clear")

    assert status == 0 and "Emptied 2 times out of range." in out
    assert Exam.objects.get(pk=exam.pk).closes_at is None
    assert Student.objects.get(pk=student.pk).extended_until is None
    assert Exam.objects.get(pk=kept.pk).closes_at is not None
    assert examiner_client.get("/exams/").status_code == 200
    assert check_times() == (0, "Every stored time is within range.\n")

"""Bulk actions on the roster: the rows ticked, or all matching the current search and
filter across pages. Each shows what it will do to how many students, and only the post
from that confirmation acts."""

import io
import zipfile
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory, UserFactory
from submissions.models import Event

pytestmark = pytest.mark.django_db

DUE = datetime(2030, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def exam(examiner):
    return ExamFactory(owner=examiner, closes_at=DUE, time_zone="UTC")


def bulk_url(exam):
    return reverse("students:bulk_action", args=[exam.pk])


def students(exam, count, **fields):
    return [StudentFactory(exam=exam, **fields) for _ in range(count)]


def test_the_confirmation_says_how_many_students_and_changes_nothing(examiner_client, exam):
    chosen = students(exam, 3)

    response = examiner_client.get(
        bulk_url(exam), {"action": "extend", "student": [s.pk for s in chosen[:2]]}
    )

    assert response.status_code == 200
    assert "2 students get the deadline you choose below" in response.content.decode()
    assert "Extend for 2 students" in response.content.decode()
    assert not exam.students.filter(extended_until__isnull=False).exists()
    assert not Event.objects.exists()


def test_the_confirmed_post_extends_the_ticked_students_only(examiner_client, examiner, exam):
    first, second, other = students(exam, 3)

    response = examiner_client.post(
        bulk_url(exam),
        {
            "action": "extend",
            "student": [first.pk, second.pk],
            "extended_until": "2030-06-02T12:00",
            "expected": 2,
        },
    )

    assert response.status_code == 302
    extended = exam.students.filter(extended_until=datetime(2030, 6, 2, 12, tzinfo=UTC))
    assert set(extended) == {first, second}
    events = Event.objects.filter(kind=Event.Kind.EXTENSION)
    assert {(e.student_id, e.by_id) for e in events} == {
        (first.pk, examiner.pk),
        (second.pk, examiner.pk),
    }
    other.refresh_from_db()
    assert other.extended_until is None


def test_an_extension_one_minute_past_the_due_time_is_given(examiner_client, exam):
    student = StudentFactory(exam=exam)
    data = {"action": "extend", "student": [student.pk], "expected": 1}

    examiner_client.post(bulk_url(exam), {**data, "extended_until": "2030-06-01T12:01"})

    student.refresh_from_db()
    assert student.extended_until == datetime(2030, 6, 1, 12, 1, tzinfo=UTC)


def test_all_matching_reaches_every_page_of_the_filter(examiner_client, exam):
    waiting = students(exam, 60)
    for student in students(exam, 3):
        SubmissionFactory(student=student)
    query = {"action": "extra_uploads", "everyone": "on", "show": "waiting"}

    confirm = examiner_client.get(bulk_url(exam), query)
    assert "60 students get the number of extra uploads" in confirm.content.decode()
    done = examiner_client.post(bulk_url(exam), {**query, "extra_uploads": 2, "expected": 60})

    assert done.status_code == 302
    assert set(exam.students.filter(extra_uploads=2)) == set(waiting)


def test_a_changed_number_of_students_asks_again(examiner_client, exam):
    students(exam, 3)
    query = {"action": "extra_uploads", "everyone": "on", "extra_uploads": 1}

    response = examiner_client.post(bulk_url(exam), {**query, "expected": 2})

    assert response.status_code == 422
    assert "changed since you looked" in response.content.decode()
    assert not exam.students.filter(extra_uploads=1).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "extend"}, "No students are selected"),
        ({"action": "extend", "extended_until": "2030-06-01T11:00"}, "must end after"),
        ({"action": "extend", "extended_until": "2030-06-01T12:00"}, "must end after"),
        ({"action": "extend"}, "Choose the new deadline"),
        ({"action": "extra_uploads", "extra_uploads": 51}, "less than or equal to 50"),
        ({"action": "extra_uploads"}, "Say how many"),
    ],
)
def test_a_post_missing_what_it_needs_is_refused(examiner_client, exam, data, message):
    student = StudentFactory(exam=exam)
    if message != "No students are selected":
        data = {**data, "student": [student.pk], "expected": 1}

    response = examiner_client.post(bulk_url(exam), data)

    assert response.status_code == 422
    assert message in response.content.decode()
    student.refresh_from_db()
    assert (student.extended_until, student.extra_uploads) == (None, 0)


def test_extra_uploads_at_the_limit_of_50_are_given(examiner_client, exam):
    student = StudentFactory(exam=exam)

    examiner_client.post(
        bulk_url(exam),
        {"action": "extra_uploads", "student": [student.pk], "extra_uploads": 50, "expected": 1},
    )

    student.refresh_from_db()
    assert student.extra_uploads == 50


def test_the_zip_holds_the_selected_files_and_logs_each_download(examiner_client, examiner, exam):
    chosen, other = students(exam, 2)
    SubmissionFactory(student=chosen, stored=True, content=b"chosen", original_name="a.pdf")
    SubmissionFactory(student=other, stored=True, content=b"other", original_name="b.pdf")

    confirm = examiner_client.get(bulk_url(exam), {"action": "zip", "student": [chosen.pk]})
    assert "current files of 1 student (1 files stored)" in confirm.content.decode()
    response = examiner_client.post(
        bulk_url(exam), {"action": "zip", "student": [chosen.pk], "expected": 1}
    )

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [
        f"{chosen.nickname}_a.pdf",
        "manifest.csv",
        "manifest-semicolon.csv",
    ]
    assert "-selected-" in response["Content-Disposition"]
    download = Event.objects.get(kind=Event.Kind.DOWNLOAD)
    assert (download.student_id, download.by) == (chosen.pk, examiner)


def test_email_opens_the_mail_form_for_the_students_chosen(examiner_client, exam):
    chosen = students(exam, 2)
    StudentFactory(exam=exam)

    response = examiner_client.get(
        bulk_url(exam), {"action": "email", "everyone": "on", "q": chosen[0].nickname}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f'action="{reverse("students:mail_links", args=[exam.pk])}"' in page
    assert f'name="student" value="{chosen[0].pk}"' in page
    assert f'value="{chosen[1].pk}"' not in page


def test_another_examiners_students_cannot_be_chosen(examiner_client, exam):
    theirs = StudentFactory()

    response = examiner_client.post(
        bulk_url(exam),
        {"action": "extra_uploads", "student": [theirs.pk], "extra_uploads": 2, "expected": 1},
    )

    assert response.status_code == 422
    theirs.refresh_from_db()
    assert theirs.extra_uploads == 0


def test_another_examiners_exam_is_404(client, exam):
    client.force_login(UserFactory())

    assert client.get(bulk_url(exam), {"action": "zip", "everyone": "on"}).status_code == 404

import pytest
from django.db import IntegrityError
from django.urls import reverse

from students.models import Exam, Student
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def test_the_dashboard_needs_a_login(client):
    response = client.get("/exams/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


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


def test_it_creates_an_exam(examiner_client, examiner):
    response = examiner_client.post(
        "/exams/new/",
        {
            "title": "Physics final",
            "closes_at": "2030-06-01T12:00",
            "max_upload_mb": "3",
            "max_uploads": 5,
            "time_zone": "UTC",
            "retention_days": 3,
        },
    )

    exam = Exam.objects.get(title="Physics final")
    assert response.status_code == 302 and response["Location"] == f"/exams/{exam.pk}/"
    assert exam.owner == examiner
    assert exam.closes_at.year == 2030


def test_new_exams_get_the_default_limits(examiner_client):
    form = examiner_client.get("/exams/new/").context["form"]

    assert form["max_upload_mb"].value() == 3
    assert form["max_uploads"].value() == 5


def test_it_edits_an_exam(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/edit/",
        {
            "title": "Renamed",
            "time_zone": "UTC",
            "retention_days": 3,
            "max_upload_mb": "1.5",
            "max_uploads": 2,
        },
    )

    exam.refresh_from_db()
    assert response.status_code == 302
    assert (exam.title, exam.max_upload_bytes, exam.max_uploads) == ("Renamed", 1572864, 2)


def test_it_adds_a_student(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/students/new/",
        {
            "nickname": "s123",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.edu",
        },
    )

    student = Student.objects.get(nickname="s123")
    assert response.status_code == 302
    assert response["Location"] == f"/exams/{exam.pk}/students/{student.pk}/"
    assert student.exam == exam and student.uploads_used == 0
    assert len(student.upload_code) >= 22


def test_it_refuses_a_nickname_already_in_the_exam(examiner_client, student):
    response = examiner_client.post(
        f"/exams/{student.exam.pk}/students/new/",
        {"nickname": student.nickname.upper(), "first_name": "B", "last_name": "C", "email": ""},
    )

    assert response.status_code == 200
    assert "is already in this exam" in response.content.decode()
    assert Student.objects.count() == 1


def test_the_database_refuses_a_duplicate_nickname(student):
    with pytest.raises(IntegrityError):
        Student.objects.create(exam=student.exam, nickname=student.nickname, first_name="X")


def test_the_same_nickname_may_appear_in_another_exam(student):
    other_exam = ExamFactory(owner=student.exam.owner)
    StudentFactory(exam=other_exam, nickname=student.nickname)


def test_the_roster_shows_who_submitted(examiner_client, client, exam):
    done = StudentFactory(exam=exam, first_name="Done")
    StudentFactory(exam=exam, first_name="Waiting")
    post_upload(client, done, b"answer", name="done.pdf")
    submission = Submission.objects.get()

    response = examiner_client.get(f"/exams/{exam.pk}/")

    page = response.content.decode()
    assert "Submitted 1 of 2" in page
    assert submission.display_code in page
    assert "1 of 5" in page and "0 of 5" in page
    assert "not yet" in page


def test_the_exam_list_counts_submissions(examiner_client, client, exam):
    post_upload(client, StudentFactory(exam=exam))
    post_upload(client, StudentFactory(exam=exam))
    StudentFactory(exam=exam)

    page = examiner_client.get("/exams/").content.decode()

    assert "2 of 3" in page


def test_the_student_page_shows_the_full_upload_link_and_history(examiner_client, client, student):
    post_upload(client, student, b"one", name="one.pdf")
    post_upload(client, student, b"two", name="two.pdf")

    response = examiner_client.get(student.get_absolute_url())

    page = response.content.decode()
    assert f'value="http://testserver/u/{student.upload_code}/"' in page
    assert "Copy link" in page
    assert "one.pdf" in page and "two.pdf" in page and "replaced" in page


def test_the_examiner_downloads_a_current_file(examiner_client, client, student):
    post_upload(client, student, b"the answer", name="answer.pdf")
    submission = Submission.objects.get()
    url = reverse("students:submission_download", args=[student.exam.pk, student.pk, submission.pk])

    response = examiner_client.get(url)
    file_response = examiner_client.get(response["Location"])

    assert response.status_code == 302
    assert b"".join(file_response.streaming_content) == b"the answer"


def test_other_examiners_objects_are_404(client, student):
    post_upload(client, student)
    submission = Submission.objects.get()
    exam = student.exam
    client.force_login(UserFactory())

    urls = [
        f"/exams/{exam.pk}/",
        f"/exams/{exam.pk}/edit/",
        f"/exams/{exam.pk}/students/new/",
        f"/exams/{exam.pk}/students/{student.pk}/",
        f"/exams/{exam.pk}/students/{student.pk}/submissions/{submission.pk}/download/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/exams/{exam.pk}/edit/", {"title": "Hijacked"}).status_code == 404
    assert exam.title != "Hijacked"
    assert "Algebra" not in client.get("/exams/").content.decode()


def test_the_file_size_limit_cannot_pass_what_the_server_accepts(examiner_client, exam):
    response = examiner_client.post(
        f"/exams/{exam.pk}/edit/",
        {
            "title": "Too big",
            "time_zone": "UTC",
            "retention_days": 3,
            "max_upload_mb": "500",
            "max_uploads": 5,
        },
    )

    exam.refresh_from_db()
    assert response.status_code == 200
    assert "The server accepts files up to 20.0\xa0MB." in response.content.decode()
    assert exam.max_upload_bytes == 3 * 1024 * 1024

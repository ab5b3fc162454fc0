"""Mail that follows an examiner's change: a student's extension or extra uploads, a
co-examiner's newly shared exam. Through the real worker to a real SMTP server."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from students.models import Mail
from students.tests.factories import StudentFactory, UserFactory
from students.tests.smtp import body, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def berlin(exam):
    exam.time_zone = "Europe/Berlin"
    exam.closes_at = datetime(2030, 12, 9, 17, 0, tzinfo=UTC)
    exam.save()
    return exam


def test_a_student_hears_of_their_extension_in_their_language(examiner_client, smtp, berlin):
    student = StudentFactory(exam=berlin, language="de", first_name="Grete")
    url = reverse("students:student_extension", args=[berlin.pk, student.pk])

    examiner_client.post(url, {"extended_until": "2030-12-10T18:00"})
    run_worker()

    [received] = smtp.to(student.email)
    assert (
        received["Subject"]
        == f"{berlin.title}: Ihre Abgabefrist ist jetzt Dienstag, 10. Dezember 2030, 18:00 MEZ"
    )
    text = body(received)
    assert "Dienstag, 10. Dezember 2030, 18:00 MEZ" in text
    assert student.get_upload_url() in text
    assert Mail.objects.get(kind="extension").state == "sent"


def test_taking_an_extension_away_sends_nothing(examiner_client, smtp, berlin):
    student = StudentFactory(exam=berlin, extended_until=datetime(2030, 12, 10, tzinfo=UTC))
    url = reverse("students:student_extension", args=[berlin.pk, student.pk])

    examiner_client.post(url, {"extended_until": ""})
    run_worker()

    assert smtp.to(student.email) == []


def test_a_student_hears_of_extra_uploads(examiner_client, smtp, berlin):
    student = StudentFactory(exam=berlin)
    url = reverse("students:student_extra_uploads", args=[berlin.pk, student.pk])

    examiner_client.post(url, {"extra_uploads": "2"})
    run_worker()

    [received] = smtp.to(student.email)
    assert received["Subject"] == f"{berlin.title}: you now have 7 uploads"
    assert "7 uploads are left." in body(received)


def test_a_bulk_extension_tells_each_student_once(examiner_client, smtp, berlin):
    chosen = StudentFactory.create_batch(3, exam=berlin)
    StudentFactory(exam=berlin, email="")
    data = {
        "action": "extend",
        "student": [str(s.pk) for s in chosen],
        "extended_until": "2030-12-10T18:00",
        "expected": "3",
        "confirm": "1",
    }

    response = examiner_client.post(reverse("students:bulk_action", args=[berlin.pk]), data)
    run_worker()

    assert response.status_code == 302
    assert sorted(Mail.objects.filter(kind="extension").values_list("to", flat=True)) == sorted(
        s.email for s in chosen
    )
    assert all(len(smtp.to(s.email)) == 1 for s in chosen)


def test_a_co_examiner_hears_who_shared_which_exam(examiner_client, examiner, smtp, exam):
    examiner.first_name, examiner.last_name = "Ada", "King"
    examiner.save()
    colleague = UserFactory(email="grace@example.edu")

    examiner_client.post(
        reverse("students:exam_sharing", args=[exam.pk]), {"who": colleague.username}
    )
    run_worker()

    [received] = smtp.to("grace@example.edu")
    assert received["Subject"].strip() == f"Ada King shared “{exam.title}” with you"
    assert exam.get_absolute_url() in body(received)

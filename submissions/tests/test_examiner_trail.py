"""The audit trail names the examiner behind every examiner action on a student, collapses
runs of identical events when shown, and is in the admin to read, never to change."""

import pytest
from django.urls import reverse

from students.tests.factories import UserFactory
from students.tests.signin import sign_in_as_superuser
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def student_url(student, action):
    return reverse(f"students:student_{action}", args=[student.exam_id, student.pk])


def test_a_new_link_names_the_examiner(examiner_client, examiner, student):
    examiner_client.post(student_url(student, "new_link"))

    assert student.events.get(kind=Event.Kind.LINK_CHANGED).by == examiner


def test_an_extension_names_the_examiner_and_the_new_deadline(examiner_client, examiner, exam):
    exam.time_zone = "Europe/Vienna"
    exam.save()
    student = exam.students.create(nickname="a1", first_name="Ada", last_name="King")

    examiner_client.post(student_url(student, "extension"), {"extended_until": "2030-06-02T18:00"})

    event = student.events.get(kind=Event.Kind.EXTENSION)
    assert event.by == examiner
    assert event.detail == "Sunday 2 June 2030, 18:00 CEST"


def test_a_download_by_the_examiner_names_them(examiner_client, examiner, client, student):
    post_upload(client, student)
    submission = Submission.objects.get()

    examiner_client.get(
        reverse("students:submission_download", args=[student.exam_id, student.pk, submission.pk])
    )

    download = student.events.get(kind=Event.Kind.DOWNLOAD)
    assert (download.by, download.detail) == (examiner, "by examiner")


def test_the_students_own_events_name_no_examiner(client, student):
    post_upload(client, student)

    assert not student.events.filter(by__isnull=False).exists()


def test_repeated_identical_events_show_once_with_a_count(examiner_client, client, student):
    post_upload(client, student)
    submission = Submission.objects.get()
    for _ in range(3):
        submission.log_receipt_viewed()
    submission.log_lookup()
    submission.log_receipt_viewed()

    page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert page.count("Receipt viewed ×3") == 1
    assert page.count("Receipt viewed</td>") == 1  # the one after the lookup stands alone
    assert "×4" not in page


def test_events_by_different_examiners_do_not_collapse(examiner_client, examiner, student):
    other = UserFactory()
    student.change_upload_code(by=examiner)
    student.change_upload_code(by=other)

    page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert "×2" not in page
    assert examiner.username in page and other.username in page


def test_the_admin_shows_events_read_only(client, examiner, student):
    student.change_upload_code(by=examiner)
    event = Event.objects.get()
    sign_in_as_superuser(client)

    listing = client.get("/admin/submissions/event/")
    change = client.get(f"/admin/submissions/event/{event.pk}/change/")

    assert listing.status_code == 200 and "Upload link changed" in listing.content.decode()
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.get("/admin/submissions/event/add/").status_code == 403
    assert client.post(f"/admin/submissions/event/{event.pk}/delete/").status_code == 403
    assert Event.objects.count() == 1


def test_download_all_logs_each_file_with_the_examiner(examiner_client, examiner, client, student):
    post_upload(client, student)

    response = examiner_client.get(reverse("students:exam_zip", args=[student.exam_id]))
    b"".join(response.streaming_content)

    download = student.events.get(kind=Event.Kind.DOWNLOAD)
    assert (download.by, download.detail) == (examiner, "in a ZIP (1 in all)")

import pytest
from django.urls import reverse

from students.tests.factories import StudentFactory
from submissions.models import Event
from submissions.tests.helpers import post_upload


def new_link_url(student):
    return reverse("students:student_new_link", args=[student.exam_id, student.pk])


@pytest.mark.django_db
def test_it_stops_the_old_link_at_once(examiner_client, client, student):
    old_page = reverse("submissions:upload", args=[student.upload_code])
    assert examiner_client.get(old_page).status_code == 200

    response = examiner_client.post(new_link_url(student))

    assert response.status_code == 302
    student.refresh_from_db()
    assert examiner_client.get(old_page).status_code == 404
    assert post_upload(client, student).status_code == 302  # the new link works


@pytest.mark.django_db
def test_the_old_links_receipts_stop_too(examiner_client, client, student):
    post_upload(client, student)
    submission = student.submissions.get()
    receipt = reverse(
        "submissions:receipt", args=[student.upload_code, submission.verification_code]
    )

    examiner_client.post(new_link_url(student))

    assert client.get(receipt).status_code == 404


@pytest.mark.django_db
def test_it_gives_a_new_192_bit_code(examiner_client, student):
    old = student.upload_code

    examiner_client.post(new_link_url(student))

    student.refresh_from_db()
    assert student.upload_code != old
    assert len(student.upload_code) == 32


@pytest.mark.django_db
def test_it_logs_the_change(examiner_client, student):
    examiner_client.post(new_link_url(student))

    event = student.events.get()
    assert event.kind == Event.Kind.LINK_CHANGED
    assert student.upload_code not in event.detail


@pytest.mark.django_db
def test_it_shows_the_new_link(examiner_client, student):
    response = examiner_client.post(new_link_url(student), follow=True)

    student.refresh_from_db()
    assert student.upload_code in response.content.decode()
    assert "no longer works" in response.content.decode()


@pytest.mark.django_db
def test_a_get_only_asks_for_confirmation(examiner_client, student):
    old = student.upload_code

    assert examiner_client.get(new_link_url(student)).status_code == 200

    student.refresh_from_db()
    assert student.upload_code == old


@pytest.mark.django_db
def test_it_needs_a_login(client, student):
    response = client.post(new_link_url(student))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_it_404s_for_another_examiners_student(examiner_client):
    theirs = StudentFactory()
    old = theirs.upload_code

    assert examiner_client.post(new_link_url(theirs)).status_code == 404

    theirs.refresh_from_db()
    assert theirs.upload_code == old

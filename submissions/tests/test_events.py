import pytest

from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def kinds(student):
    return list(Event.objects.filter(student=student).order_by("pk").values_list("kind", flat=True))


def test_the_trail_records_each_step_of_a_students_uploads(client, student):
    first = post_upload(client, student, b"SECRET-CONTENT-1", name="first.pdf")
    client.get(first["Location"])
    post_upload(client, student, b"SECRET-CONTENT-2", name="second.pdf")
    post_upload(client, student, b"", name="empty.pdf")
    code = Submission.objects.current().get().verification_code
    client.get("/verify/", {"code": code})
    client.get(f"/verify/{code}/download/")

    assert kinds(student) == [
        Event.Kind.UPLOAD_ACCEPTED,
        Event.Kind.RECEIPT_VIEWED,
        Event.Kind.SUPERSEDED,
        Event.Kind.UPLOAD_ACCEPTED,
        Event.Kind.UPLOAD_REFUSED,
        Event.Kind.LOOKUP,
        Event.Kind.DOWNLOAD,
    ]
    refused = Event.objects.get(kind=Event.Kind.UPLOAD_REFUSED)
    assert "empty" in refused.detail


def test_the_trail_never_holds_file_contents_or_secrets(client, student):
    post_upload(client, student, b"SECRET-CONTENT", name="answer.pdf")
    submission = Submission.objects.get()
    client.get("/verify/", {"code": submission.verification_code})

    details = " ".join(Event.objects.values_list("detail", flat=True))
    assert "SECRET-CONTENT" not in details
    assert student.upload_code not in details
    assert submission.verification_code not in details
    assert submission.display_code not in details


def test_the_examiner_sees_the_trail_on_the_students_page(examiner_client, client, student):
    post_upload(client, student, name="answer.pdf")

    page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert "Activity" in page
    assert "Upload accepted" in page and "answer.pdf" in page


def test_the_trail_is_append_only(client, student):
    post_upload(client, student)
    event = Event.objects.get()

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.update(detail="rewritten")
    with pytest.raises(TypeError):
        Event.objects.all().delete()

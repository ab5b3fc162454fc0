"""Writing upload links and reminders: the form, the preview, the queue, the progress."""

import pytest
from django.urls import reverse

from students.models import Mail, Mailing
from students.tests.factories import ExamFactory, StudentFactory
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def links_url(exam):
    return reverse("students:mail_links", args=[exam.pk])


def form_data(**data):
    return {
        "audience": "all",
        "subject": "Your link for {exam}",
        "message": "Dear {name}, upload here: {link} by {deadline}.",
        **data,
    }


def test_it_shows_the_form_with_the_default_words(examiner_client, exam):
    response = examiner_client.get(links_url(exam))

    assert response.status_code == 200
    assert "Your upload link for {exam}" in response.content.decode()


def test_the_preview_is_one_real_mail_and_offers_send_to_n(examiner_client, exam):
    ada = StudentFactory(exam=exam, first_name="Ada", last_name="Aardvark")
    StudentFactory.create_batch(2, exam=exam)

    response = examiner_client.post(links_url(exam), form_data(preview="1"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Your link for {exam.title}" in page
    assert "Dear Ada Aardvark, upload here: http" in page
    assert ada.get_upload_url() in page
    assert "Send to 3 students" in page
    assert not Mail.objects.exists()


def test_sending_queues_one_mail_per_student_with_an_address(
    examiner_client, exam, django_capture_on_commit_callbacks
):
    StudentFactory.create_batch(3, exam=exam)
    nobody = StudentFactory(exam=exam, email="")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = examiner_client.post(links_url(exam), form_data(send="1", expected="3"))

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.mails.count() == 3
    assert not mailing.mails.filter(student=nobody).exists()
    assert len(callbacks) == 1  # one task wakes the worker, not one per mail
    assert mailing.exam.mail.subject == "Your link for {exam}"  # remembered for next time


def test_students_without_an_address_are_listed(examiner_client, exam):
    StudentFactory(exam=exam)
    StudentFactory(exam=exam, email="", first_name="Nomail", last_name="Person")

    response = examiner_client.post(links_url(exam), form_data(preview="1"))

    page = response.content.decode()
    assert "1 student has no email address and gets nothing" in page
    assert "Nomail Person" in page
    assert "Send to 1 student" in page


def test_a_changed_count_shows_the_preview_again(examiner_client, exam):
    StudentFactory.create_batch(2, exam=exam)

    response = examiner_client.post(links_url(exam), form_data(send="1", expected="3"))

    assert response.status_code == 200
    assert "The list of students changed" in response.content.decode()
    assert not Mail.objects.exists()


def test_an_unknown_placeholder_is_refused(examiner_client, exam):
    StudentFactory(exam=exam)

    response = examiner_client.post(links_url(exam), form_data(message="Hi {nmae}", send="1"))

    assert response.status_code == 422
    assert "“{nmae}” is not a placeholder we know" in response.content.decode()
    assert not Mail.objects.exists()


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.org", "Hi\nthere", "a\x00b"])
def test_a_subject_of_more_than_one_line_is_refused(examiner_client, exam, subject):
    StudentFactory(exam=exam)

    response = examiner_client.post(links_url(exam), form_data(subject=subject, send="1"))

    assert response.status_code == 422
    assert "The subject must be one line" in response.content.decode()


def test_never_sent_leaves_out_those_with_a_link_on_its_way_or_sent(examiner_client, exam):
    sent, failed, fresh = StudentFactory.create_batch(3, exam=exam)
    mailing = Mailing.objects.create(exam=exam, kind="link", subject="s", message="m")
    Mail.objects.create(
        key="a", kind="link", mailing=mailing, student=sent, to=sent.email, state="sent"
    )
    Mail.objects.create(
        key="b", kind="link", mailing=mailing, student=failed, to=failed.email, state="failed"
    )

    response = examiner_client.post(links_url(exam), form_data(audience="never_sent", preview="1"))

    assert "Send to 2 students" in response.content.decode()


def test_not_yet_submitted_leaves_out_those_who_submitted(client, examiner_client, exam):
    done, waiting = StudentFactory.create_batch(2, exam=exam)
    post_upload(client, done)

    response = examiner_client.post(
        reverse("students:mail_reminder", args=[exam.pk]),
        form_data(audience="waiting", preview="1"),
    )

    assert "Send to 1 student<" in response.content.decode()
    assert response.context["preview"].to == waiting.email


def test_selected_rows_get_the_mail_and_no_one_else(examiner_client, exam):
    chosen, _ = StudentFactory.create_batch(2, exam=exam)

    response = examiner_client.get(links_url(exam), {"audience": "selected", "student": chosen.pk})
    assert f'value="{chosen.pk}"' in response.content.decode()

    response = examiner_client.post(
        links_url(exam), form_data(audience="selected", student=[chosen.pk], send="1", expected="1")
    )
    assert list(Mail.objects.values_list("student", flat=True)) == [chosen.pk]


def test_selected_with_nobody_selected_is_refused(examiner_client, exam):
    StudentFactory(exam=exam)

    response = examiner_client.post(links_url(exam), form_data(audience="selected"))

    assert response.status_code == 422
    assert "No students are selected" in response.content.decode()


def test_another_examiners_student_cannot_be_selected(examiner_client, exam):
    theirs = StudentFactory(exam=ExamFactory())

    response = examiner_client.post(
        links_url(exam), form_data(audience="selected", student=[theirs.pk], send="1")
    )

    assert response.status_code == 422
    assert not Mail.objects.exists()


def test_the_exam_page_shows_progress_and_each_students_last_mail(examiner_client, exam):
    ok, bad, waiting = StudentFactory.create_batch(3, exam=exam)
    mailing = Mailing.objects.create(exam=exam, kind="link", subject="s", message="m")
    for student, state, error in [
        (ok, "sent", ""),
        (bad, "failed", "550 5.1.1 No such user"),
        (waiting, "queued", ""),
    ]:
        Mail.objects.create(
            key=f"k{student.pk}",
            kind="link",
            mailing=mailing,
            student=student,
            to=student.email,
            state=state,
            error=error,
        )

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "1 of 3 sent, 1 failed" in page
    assert "550 5.1.1 No such user" in page
    assert "Re-send 1 failed" in page
    assert 'data-refresh="' in page  # still sending: the page refreshes the line


def test_resending_queues_the_failed_mails_again(
    examiner_client, exam, django_capture_on_commit_callbacks
):
    student = StudentFactory(exam=exam)
    mailing = Mailing.objects.create(exam=exam, kind="link", subject="s", message="m")
    mail = Mail.objects.create(
        key="k",
        kind="link",
        mailing=mailing,
        student=student,
        to=student.email,
        state="failed",
        attempts=3,
        error="451 try later",
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        url = reverse("students:mailing_resend", args=[exam.pk, mailing.pk])
        response = examiner_client.post(url)

    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == ("queued", 0)
    assert len(callbacks) == 1


def test_mail_settings_are_saved(examiner_client, exam):
    url = reverse("students:exam_mail_settings", args=[exam.pk])

    response = examiner_client.post(url, {"reminder_hours": "24", "notify_deadline": "on"})

    assert response.status_code == 302
    assert (exam.mail.reminder_hours, exam.mail.notify_deadline, exam.mail.notify_deletion) == (
        24,
        True,
        False,
    )


def test_queuing_1000_links_is_a_few_statements(
    examiner_client, exam, django_assert_max_num_queries
):
    """The click must return at once for any roster: rows in bulk, one task, no mail written."""
    StudentFactory.create_batch(1000, exam=exam)

    with django_assert_max_num_queries(20):
        response = examiner_client.post(links_url(exam), form_data(send="1", expected="1000"))

    assert response.status_code == 302
    assert Mail.objects.filter(subject="").count() == 1000

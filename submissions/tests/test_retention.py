"""When a file is deleted: retention counts from when the examiner can collect it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from students import exports
from students import mail as students_mail
from students.models import Mail
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

UPLOADED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def upload(client, student, at=UPLOADED):
    # (A client of its own when the test also logs in: travelling to `at` expires a login.)
    with time_machine.travel(at, tick=False):
        assert post_upload(client, student).status_code == 302
    return Submission.objects.filter(student=student).current().get()


def expiry(submission):
    return Submission.objects.with_expiry().get(pk=submission.pk).expires_at


def purged_at(at, submission):
    """Runs purge_expired at `at`; True when it deleted the submission's file."""
    with time_machine.travel(at, tick=False):
        call_command("purge_expired", verbosity=0)
    submission.refresh_from_db()
    return submission.file_deleted_at is not None


def test_an_early_upload_is_kept_until_the_due_time_plus_retention(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=3))
    submission = upload(client, student)

    assert expiry(submission) == DUE + 3 * DAY
    assert not purged_at(UPLOADED + 3 * DAY + MINUTE, submission)  # the old rule's deletion
    assert not purged_at(DUE + 3 * DAY - MINUTE, submission)
    assert purged_at(DUE + 3 * DAY, submission)


def test_a_cut_off_is_when_collection_becomes_possible(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + 2 * DAY, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))

    assert expiry(submission) == DUE + 5 * DAY
    assert not purged_at(DUE + 5 * DAY - MINUTE, submission)
    assert purged_at(DUE + 5 * DAY, submission)


def test_an_upload_after_the_due_time_counts_from_the_cut_off(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + DAY, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam), at=DUE + timedelta(hours=2))

    assert expiry(submission) == DUE + 4 * DAY


def test_an_extension_moves_the_date(client):
    student = StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=3))
    submission = upload(client, student)

    student.extend_deadline(DUE + 2 * DAY)

    assert expiry(submission) == DUE + 5 * DAY
    assert not purged_at(DUE + 5 * DAY - MINUTE, submission)


def test_an_extension_moves_the_cut_off_with_it(client):
    exam = ExamFactory(closes_at=DUE, cutoff_at=DUE + DAY, retention_days=3)
    student = StudentFactory(exam=exam, extended_until=DUE + 2 * DAY)
    submission = upload(client, student)

    assert student.cutoff() == DUE + 3 * DAY
    assert expiry(submission) == DUE + 6 * DAY


def test_an_extension_earlier_than_the_due_time_changes_nothing(client):
    student = StudentFactory(
        exam=ExamFactory(closes_at=DUE, retention_days=3), extended_until=DUE - DAY
    )

    assert expiry(upload(client, student)) == DUE + 3 * DAY


def test_a_changed_due_time_moves_the_date(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))

    exam.closes_at = DUE + 7 * DAY
    exam.save()

    assert expiry(submission) == DUE + 10 * DAY
    assert not purged_at(DUE + 4 * DAY, submission)


def test_closing_by_hand_before_the_due_time_starts_the_clock_then(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))
    closed = UPLOADED + DAY

    with time_machine.travel(closed, tick=False):
        exam.set_manual_state("closed")

    assert expiry(submission) == closed + 3 * DAY
    assert purged_at(closed + 3 * DAY, submission)


def test_closing_by_hand_after_reopening_counts_from_the_close(client):
    exam = ExamFactory(closes_at=DUE, retention_days=3)
    submission = upload(client, StudentFactory(exam=exam))
    with time_machine.travel(DUE + DAY, tick=False):
        exam.set_manual_state("open")

    assert expiry(submission) is None  # taking uploads again: nothing can go yet
    assert not purged_at(DUE + 30 * DAY, submission)

    with time_machine.travel(DUE + 31 * DAY, tick=False):
        exam.set_manual_state("")
    assert expiry(submission) == DUE + 34 * DAY


def test_an_open_ended_exam_deletes_each_file_days_after_its_upload(client):
    exam = ExamFactory(closes_at=None, retention_days=2)
    submission = upload(client, StudentFactory(exam=exam))

    assert expiry(submission) == UPLOADED + 2 * DAY
    assert not purged_at(UPLOADED + 2 * DAY - MINUTE, submission)
    assert purged_at(UPLOADED + 2 * DAY, submission)


def test_an_open_ended_exam_opened_by_hand_still_counts_from_the_upload(client):
    exam = ExamFactory(closes_at=None, retention_days=2, manual_state="open")

    assert expiry(upload(client, StudentFactory(exam=exam))) == UPLOADED + 2 * DAY


def test_each_exam_has_its_own_retention(client):
    short = upload(client, StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=1)))
    long = upload(client, StudentFactory(exam=ExamFactory(closes_at=DUE, retention_days=30)))

    assert (expiry(short), expiry(long)) == (DUE + DAY, DUE + 30 * DAY)


def test_purge_selects_in_one_query(client, django_assert_num_queries):
    exam = ExamFactory(closes_at=DUE, retention_days=1)
    for _ in range(3):
        upload(client, StudentFactory(exam=exam))

    with time_machine.travel(DUE + 2 * DAY, tick=False), django_assert_num_queries(1):
        assert len(list(Submission.objects.expired())) == 3


# --- Every page shows the date purge_expired acts on ----------------------------------------


def kept_until_everywhere(examiner_client, student, submission):
    """The "kept until" text of the upload page, receipt, verification page, roster, student
    page, roster CSV and ZIP manifest."""
    import csv
    import io
    import zipfile

    from django.urls import reverse

    def text(url):
        return examiner_client.get(url).content.decode()

    def rows(url, name=None):
        body = b"".join(examiner_client.get(url).streaming_content)
        if name:
            body = zipfile.ZipFile(io.BytesIO(body)).read(name)
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))

    exam = student.exam
    code = submission.verification_code
    return {
        "upload page": text(student.get_upload_url()),
        "receipt": text(reverse("submissions:receipt", args=[student.upload_code, code])),
        "verification": text(f"/verify/?code={code}"),
        "roster": text(exam.get_absolute_url()),
        "student page": text(student.get_absolute_url()),
        "csv": rows(reverse("students:roster_csv", args=[exam.pk]))[0]["file kept until"],
        "manifest": rows(reverse("students:exam_zip", args=[exam.pk]), "manifest.csv")[0][
            "file kept until"
        ],
    }


@pytest.mark.parametrize("case", ["due", "cut-off", "extension", "closed by hand", "open-ended"])
def test_every_page_shows_the_date_purge_uses(examiner_client, examiner, case):
    from students.times import format_time

    exam = ExamFactory(owner=examiner, closes_at=DUE, time_zone="Europe/Berlin", retention_days=4)
    student = StudentFactory(exam=exam)
    submission = upload(Client(), student, at=UPLOADED)
    if case == "cut-off":
        exam.cutoff_at = DUE + DAY
        exam.save()
    elif case == "extension":
        student.extend_deadline(DUE + 2 * DAY)
    elif case == "closed by hand":
        with time_machine.travel(UPLOADED + DAY, tick=False):
            exam.set_manual_state("closed")
    elif case == "open-ended":
        exam.closes_at = None
        exam.save()
    expires = expiry(submission)

    shown = kept_until_everywhere(examiner_client, student, submission)

    long_form, short_form = (
        format_time(expires, zone=exam.zone),
        format_time(expires, "short", zone=exam.zone),
    )
    csv_form = expires.astimezone(exam.zone).isoformat(sep=" ", timespec="seconds")
    for page in ["upload page", "receipt", "verification", "student page"]:
        assert long_form in shown[page], page
    assert short_form in shown["roster"]
    assert shown["csv"] == shown["manifest"] == csv_form
    assert not purged_at(expires - MINUTE, submission)
    assert purged_at(expires, submission)


# --- The exam page warns before deletion --------------------------------------------------


def test_the_exam_page_warns_before_files_are_deleted(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, closes_at=DUE, time_zone="UTC", retention_days=3)
    for _ in range(2):
        upload(Client(), StudentFactory(exam=exam))

    with time_machine.travel(DUE + DAY, tick=False):
        examiner_client.force_login(examiner)
        html = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "2 files will be deleted on 11 Dec 2026, 17:00 UTC" in html
    assert "download them first" in html


def test_an_open_ended_exam_says_files_go_days_after_each_upload(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, closes_at=None, retention_days=5)

    html = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "each file is deleted 5 days after its upload" in html


def test_the_exam_page_shows_no_warning_without_files(examiner_client, examiner):
    exam = ExamFactory(owner=examiner, closes_at=DUE)

    assert "will be deleted on" not in examiner_client.get(exam.get_absolute_url()).content.decode()


# --- Retention on the exam form ---------------------------------------------------------------


def exam_form(examiner_client, **fields):
    data = {
        "title": "Retention",
        "time_zone": "UTC",
        "max_upload_mb": "3",
        "max_uploads": 5,
        "delivery_minutes": 30,
        "retention_days": 3,
        **fields,
    }
    return examiner_client.post("/exams/new/", data)


@pytest.mark.parametrize(("days", "saved"), [(0, False), (1, True), (30, True), (31, False)])
def test_retention_is_1_to_30_days(examiner_client, days, saved):
    from students.models import Exam

    response = exam_form(examiner_client, retention_days=days)

    assert (response.status_code == 302) is saved
    assert Exam.objects.filter(retention_days=days).exists() is saved


def test_the_exam_form_explains_retention(examiner_client):
    html = examiner_client.get("/exams/new/").content.decode()

    assert "Keep files for (days)" in html
    assert "Counted from when uploads close for a student" in html


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"cutoff_at": "2030-06-01T10:00"}, "A cut-off needs a due time before it."),
        (
            {"closes_at": "2030-06-01T12:00", "cutoff_at": "2030-06-01T12:00"},
            "The cut-off must be after the due time.",
        ),
        (
            {"opens_at": "2030-06-01T12:00", "closes_at": "2030-06-01T12:00"},
            "Uploads must open before they are due.",
        ),
    ],
)
def test_the_exam_form_refuses_times_out_of_order(examiner_client, fields, error):
    response = exam_form(examiner_client, **fields)

    assert response.status_code == 422
    assert error in response.content.decode()


def test_the_database_refuses_a_cut_off_before_the_due_time():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ExamFactory(closes_at=DUE, cutoff_at=DUE - MINUTE)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "3 days after uploads close"), ("de", "3 Tage nach Ende der Uploads")],
)
def test_the_page_the_csv_and_the_receipt_say_alike_when_a_kept_file_goes(
    client, language, sentence
):
    """Opened by hand, an exam keeps its files until it closes again: the receipt page,
    the roster CSV and the receipt mail all say so in one sentence."""
    exam = ExamFactory(closes_at=DUE, manual_state="open", retention_days=3, language=language)
    student = StudentFactory(exam=exam, language=language)
    submission = Submission.objects.with_expiry().get(pk=upload(client, student).pk)
    assert submission.expires_at is None
    submission.language = language  # as if uploaded from a page in that language

    with translation.override(language):
        page = Template("{% load times %}{% kept_until s %}").render(Context({"s": submission}))
        csv = exports.kept_until(submission)
    with translation.override("en"):  # the worker's language: the mail is the student's
        # Queued with the upload, written by the worker as it sends it.
        receipt = Mail.objects.get(kind=Mail.Kind.RECEIPT)
        receipt.language = language  # queued in the upload's language, as above
        students_mail.render_mail(receipt)

    assert page == csv == sentence
    assert sentence in receipt.text

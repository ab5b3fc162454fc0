import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from students.models import Mail, Student
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory
from students.times import format_time
from submissions.models import Commitment, Submission
from submissions.tests.helpers import commit_file, post_upload

pytestmark = pytest.mark.django_db


def submit(student, at=None, superseded=False):
    at = at or timezone.now()
    return SubmissionFactory(
        student=student, accepted_at=at, superseded_at=at if superseded else None
    )


def names(response):
    return [student.nickname for student in response.context["students"]]


def add_students(exam, count):
    Student.objects.bulk_create(
        Student(exam=exam, nickname=f"n{i:05d}", first_name="Ada", last_name=f"L{i:05d}")
        for i in range(count)
    )
    students = list(exam.students.all()[::2])
    Submission.objects.bulk_create(SubmissionFactory.build(student=s) for s in students)


def test_it_shows_one_page_of_fifty(examiner_client, exam):
    add_students(exam, 120)

    first = examiner_client.get(f"/exams/{exam.pk}/")
    last = examiner_client.get(f"/exams/{exam.pk}/?page=3")

    assert len(first.context["students"]) == 50
    assert names(last) == [f"n{i:05d}" for i in range(100, 120)]
    assert "Page 3 of 3" in last.content.decode()


def test_it_counts_the_whole_roster_on_every_page(examiner_client, exam):
    add_students(exam, 120)

    response = examiner_client.get(f"/exams/{exam.pk}/?page=2")

    assert response.context["counts"]["total"] == 120
    assert "Submitted 60 of 120" in response.content.decode()


def test_it_searches_names_nicknames_and_emails(examiner_client, exam):
    StudentFactory(exam=exam, nickname="x1", first_name="Grace", last_name="Hopper")
    StudentFactory(exam=exam, nickname="x2", email="turing@example.edu")
    StudentFactory(exam=exam, nickname="qq7")

    assert names(examiner_client.get(f"/exams/{exam.pk}/?q=hopper")) == ["x1"]
    assert names(examiner_client.get(f"/exams/{exam.pk}/?q=grace+hop")) == ["x1"]
    assert names(examiner_client.get(f"/exams/{exam.pk}/?q=TURING")) == ["x2"]
    assert names(examiner_client.get(f"/exams/{exam.pk}/?q=qq7")) == ["qq7"]


def test_it_filters_by_submitted_not_yet_and_no_uploads_left(examiner_client, exam):
    done = StudentFactory(exam=exam, nickname="done")
    submit(done)
    StudentFactory(exam=exam, nickname="waiting")
    spent = StudentFactory(exam=exam, nickname="spent", uploads_used=exam.max_uploads)
    submit(spent, superseded=True)

    assert names(examiner_client.get(f"/exams/{exam.pk}/?show=submitted")) == ["done"]
    waiting = names(examiner_client.get(f"/exams/{exam.pk}/?show=waiting"))
    assert sorted(waiting) == ["spent", "waiting"]
    assert names(examiner_client.get(f"/exams/{exam.pk}/?show=no_uploads_left")) == ["spent"]


def test_it_sorts_by_name_and_by_last_upload(examiner_client, exam):
    now = timezone.now()
    early = StudentFactory(exam=exam, nickname="early", last_name="Alpha")
    late = StudentFactory(exam=exam, nickname="late", last_name="Beta")
    StudentFactory(exam=exam, nickname="none", last_name="Gamma")
    submit(early, at=now - timedelta(hours=2))
    submit(late, at=now - timedelta(hours=1))

    url = f"/exams/{exam.pk}/"
    assert names(examiner_client.get(url)) == ["early", "late", "none"]
    assert names(examiner_client.get(url + "?sort=-name")) == ["none", "late", "early"]
    assert names(examiner_client.get(url + "?sort=-last_upload")) == ["late", "early", "none"]
    assert names(examiner_client.get(url + "?sort=last_upload")) == ["early", "late", "none"]


def test_a_bad_filter_shows_everyone(examiner_client, exam):
    StudentFactory(exam=exam)

    response = examiner_client.get(f"/exams/{exam.pk}/?show=nonsense&sort=evil&page=x")

    assert response.status_code == 200
    assert len(response.context["students"]) == 1


def _queries_for_roster(client, exam):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/exams/{exam.pk}/?sort=-last_upload&show=&q=a")
    assert response.status_code == 200
    return len(queries)


def test_a_page_costs_the_same_queries_for_10_and_1000_students(
    examiner_client, examiner, django_assert_num_queries
):
    small, large = ExamFactory(owner=examiner), ExamFactory(owner=examiner)
    add_students(small, 10)
    add_students(large, 1000)
    count = _queries_for_roster(examiner_client, small)

    with django_assert_num_queries(count):
        examiner_client.get(f"/exams/{large.pk}/?sort=-last_upload&show=&q=a")
    with django_assert_num_queries(count):
        examiner_client.get(f"/exams/{large.pk}/?page=20")


def test_it_404s_another_examiners_roster(examiner_client):
    other = ExamFactory()

    assert examiner_client.get(f"/exams/{other.pk}/").status_code == 404


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


# --- Committed files awaited ------------------------------------------------------------


def test_the_roster_says_whose_committed_file_is_awaited_and_until_when(examiner_client, exam):
    exam.time_zone = "Europe/Berlin"
    exam.save()
    awaited = StudentFactory(exam=exam)
    StudentFactory(exam=exam)
    commitment = commit_file(awaited)

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    until = format_time(commitment.deliver_by, "short", exam.zone)
    assert until.endswith((" CET", " CEST"))
    assert f"Committed, awaiting the file until {until}" in page
    assert page.count('data-testid="committed"') == 1


def test_a_commitment_that_ended_is_no_longer_awaited_on_the_roster(examiner_client, exam):
    commitment = commit_file(StudentFactory(exam=exam))
    Commitment.objects.filter(pk=commitment.pk).update(state=Commitment.State.EXPIRED)

    page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert "awaiting the file" not in page


def test_a_commitment_past_its_window_is_not_awaited_before_the_clock_expires_it(
    examiner_client, exam
):
    commitment = commit_file(StudentFactory(exam=exam))

    with time_machine.travel(commitment.deliver_by + timedelta(seconds=30)):
        page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert Commitment.objects.get().state == Commitment.State.OPEN  # the clock's to expire
    assert "awaiting the file" not in page


def test_commitments_cost_the_roster_no_query_per_student(examiner_client, exam):
    commit_file(StudentFactory(exam=exam))
    with CaptureQueriesContext(connection) as one:
        examiner_client.get(exam.get_absolute_url())
    for student in StudentFactory.create_batch(5, exam=exam):
        commit_file(student)

    with CaptureQueriesContext(connection) as six:
        page = examiner_client.get(exam.get_absolute_url()).content.decode()

    assert page.count('data-testid="committed"') == 6
    assert len(six) == len(one)


def row_of(page, name):
    roster = page.partition('<table class="table roster">')[2]
    return next(row for row in roster.split("<tr>") if f">{name}</a>" in row)


def test_each_row_says_what_became_of_its_student(examiner_client, exam):
    """The status badges, the file and the last mail of each row (students.roster)."""
    exam.time_zone = "UTC"
    exam.closes_at = datetime(2030, 6, 3, 16, 0, tzinfo=UTC)
    exam.save()
    late = StudentFactory(
        exam=exam,
        first_name="Late",
        uploads_used=exam.max_uploads + 2,
        extra_uploads=2,
        extended_until=datetime(2030, 6, 3, 18, 30, tzinfo=UTC),
    )
    SubmissionFactory(student=late, late_by=timedelta(minutes=12), size=2048)
    error = "550 " + "mailbox unavailable " * 10
    Mail.objects.create(
        key="m",
        kind=Mail.Kind.REMINDER,
        to="a@example.edu",
        student=late,
        state="failed",
        error=error,
    )
    gone = StudentFactory(exam=exam, first_name="Gone", email="", uploads_used=1)
    SubmissionFactory(student=gone, file_deleted_at=timezone.now())
    waiting = StudentFactory(exam=exam, first_name="Waiting")

    page = examiner_client.get(f"/exams/{exam.pk}/").content.decode()

    late_row = row_of(page, late.full_name)
    assert (
        '<ul class="badges"><li class="badge late">late by 12 min</li>'
        '<li class="badge spent">no uploads left</li>'
        '<li class="badge extension" title="Own deadline">extension to 3 Jun, 18:30 UTC</li>'
        '<li class="badge extra">2 extra uploads</li></ul>'
    ) in late_row
    assert f"{exam.max_uploads + 2} of {exam.max_uploads + 2}" in late_row
    assert f'aria-label="Download the file of {late.full_name}">Download</a>' in late_row
    assert "2.0\xa0KB" in late_row and "kept until " in late_row
    assert '<span class="mail-state mail-failed" title="550 mailbox' in late_row
    assert "reminder\nfailed</span>" in late_row
    assert f'<small class="field-error">{error[:79]}…</small>' in late_row  # 80 characters
    gone_row = row_of(page, gone.full_name)
    assert '<li class="badge ok">submitted</li>' in gone_row
    assert "file deleted" in gone_row and '<span class="muted">no address</span>' in gone_row
    assert '<li class="badge waiting">not yet</li>' in row_of(page, waiting.full_name)


def test_the_rows_link_where_reverse_does(examiner_client, exam):
    """Each row's links are reversed once for the page and filled in (students.roster.link)."""
    StudentFactory.create_batch(2, exam=exam)  # no two numbers in a path alike
    SubmissionFactory.create_batch(3, student__exam=exam)
    student = StudentFactory(exam=exam, upload_code="Ab-_cd" * 6)
    submission = SubmissionFactory(student=student)
    assert len({exam.pk, student.pk, submission.pk}) == 3

    page = examiner_client.get(f"/exams/{exam.pk}/").content.decode()

    row = row_of(page, student.full_name)
    download = reverse("students:submission_download", args=[exam.pk, student.pk, submission.pk])
    assert f'<a href="{student.get_absolute_url()}">' in row
    assert f'<a href="{download}" aria-label=' in row
    assert f'data-copy-text="http://testserver{student.get_upload_url()}"' in row


def tables(queries):
    """The table each of the page's own queries reads from; the session's and the login's
    (from the database or from Redis, by the settings) left out."""
    found = [_main_table(query["sql"]) for query in queries]
    return [table for table in found if table not in {"django_session", "auth_user"}]


def _main_table(sql):
    """The table after the FROM outside any parentheses (subqueries read others)."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(" FROM ", i):
            return re.match(r' FROM "(\w+)"', sql[i:])[1]
    return None


@pytest.mark.postgres
def test_the_exam_page_is_eight_queries_whatever_it_shows(examiner_client, examiner):
    """A budget: each query costs the app's CPU a millisecond or so to build and read (its
    SQL compiled in Python: bench/pages.py), so a test here fails when a change adds one.
    The page below shows all it can: counts, newest uploads, the chart, a deletion
    warning, a missing file, and rows with uploads, extensions, extra uploads and mails."""
    now = timezone.now()
    exam = ExamFactory(
        owner=examiner, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(minutes=5)
    )
    for i in range(3):
        student = StudentFactory(
            exam=exam, uploads_used=1, extra_uploads=i, extended_until=now + timedelta(hours=i)
        )
        SubmissionFactory(
            student=student,
            accepted_at=now - timedelta(minutes=i),
            file_missing_since=now if i == 0 else None,
        )
        Mail.objects.create(key=f"m{i}", kind=Mail.Kind.LINK, to="a@example.edu", student=student)

    with CaptureQueriesContext(connection) as queries:
        response = examiner_client.get(f"/exams/{exam.pk}/")

    page = response.content.decode()
    assert 'data-testid="upload-chart"' in page
    assert 'data-testid="deletion-warning"' in page
    assert 'data-testid="missing-files"' in page
    assert page.count('class="mail-state mail-queued"') == 3
    assert tables(queries) == [
        "students_exam",  # the exam as the examiner may see it, its counts and its newest
        # uploads, in one (students.live.watch)
        "students_student",  # the roster's count, for its pages
        "students_mailing",  # a mailing under way
        "students_student",  # the page of students, with their last mail
        "submissions_submission",  # their current uploads
        "submissions_submission",  # the chart: uploads per minute
        "submissions_submission",  # the deletion schedule: the next deletion, and any after
        "submissions_submission",  # files found missing
    ]

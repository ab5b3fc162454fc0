import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from students import live
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory, UserFactory
from submissions.tests.helpers import commit_file, post_upload

pytestmark = pytest.mark.django_db

DUE = datetime(2030, 6, 3, 16, 0, tzinfo=UTC)  # 18:00 in Berlin (CEST)


def submitted(exam, at, count=1, **student):
    """`count` students of `exam` who each uploaded once, at `at`."""
    return [
        SubmissionFactory(student=StudentFactory(exam=exam, **student), accepted_at=at)
        for _ in range(count)
    ]


def fragment(client, exam, query=""):
    response = client.get(f"/exams/{exam.pk}/live/{query}")
    assert response.status_code == 200
    return response


# --- The fragment ---------------------------------------------------------------------


def test_it_counts_who_submitted_and_who_has_not(examiner_client, exam):
    submitted(exam, DUE)
    StudentFactory.create_batch(2, exam=exam)

    page = fragment(examiner_client, exam).content.decode()

    assert "Submitted 1 of 3" in page
    assert "2 not yet submitted" in page


def test_it_lists_the_newest_uploads_first_and_only_the_newest_five(examiner_client, exam):
    for minute in range(live.NEWEST + 1):
        submitted(exam, DUE + timedelta(minutes=minute), last_name=f"Minute{minute}")

    response = fragment(examiner_client, exam)

    names = [submission.student.last_name for submission in response.context["newest"]]
    assert names == [f"Minute{m}" for m in range(live.NEWEST, 0, -1)]
    assert "Minute0" not in response.content.decode()


def test_each_newest_upload_shows_its_student_its_time_and_whether_it_was_late(
    examiner_client, exam
):
    [late] = submitted(exam, DUE + timedelta(minutes=2), first_name="Ada", last_name="Late")
    late.late_by = timedelta(minutes=2)
    late.save()
    submitted(exam, DUE - timedelta(minutes=1), first_name="Otto", last_name="Ontime")

    response = fragment(examiner_client, exam)

    page = response.content.decode()
    assert [s.pk for s in response.context["newest"]] == [
        late.pk,
        exam.students.get(last_name="Ontime").submissions.get().pk,
    ]
    assert late.student.get_absolute_url() in page
    # In the exam's zone, UTC here, named; only the late one has the badge.
    ada, otto = page.split("<li>")[1:3]
    assert "Ada Late" in ada and "16:02:00 UTC" in ada and "late 2 min" in ada
    assert "Otto Ontime" in otto and "15:59:00 UTC" in otto and "badge late" not in otto


def test_a_replaced_upload_leaves_the_newest_list(examiner_client, exam, student):
    post_upload(examiner_client, student, b"first", name="first.pdf")
    post_upload(examiner_client, student, b"second", name="second.pdf")

    response = fragment(examiner_client, exam)

    second = student.submissions.current().get()
    assert second.original_name == "second.pdf"
    assert [s.pk for s in response.context["newest"]] == [second.pk]
    assert "Submitted 1 of 1" in response.content.decode()


def test_its_counts_are_the_rosters_counts(examiner_client, exam):
    """Out of uploads at exactly the exam's limit, not one below it, and a student with
    extra uploads only at their own."""
    exam.max_uploads = 3
    exam.save()
    submitted(exam, DUE, uploads_used=3)
    submitted(exam, DUE, uploads_used=2)
    submitted(exam, DUE, uploads_used=3, extra_uploads=1)
    StudentFactory(exam=exam, uploads_used=3)  # uploads whose files were all replaced away
    StudentFactory(exam=exam)
    StudentFactory(exam=ExamFactory(owner=exam.owner))  # another exam's

    counts = fragment(examiner_client, exam).context["counts"]

    assert counts == exam.roster_counts()
    assert counts == {
        "total": 5,
        "submitted": 3,
        "waiting": 2,
        "no_uploads_left": 2,
        "committed": 0,
    }


def test_an_exam_without_uploads_counts_its_students(examiner_client, exam):
    StudentFactory.create_batch(2, exam=exam)

    response = fragment(examiner_client, exam)

    assert response.context["counts"] == {
        "total": 2,
        "submitted": 0,
        "waiting": 2,
        "no_uploads_left": 0,
        "committed": 0,
    }
    assert "Submitted 0 of 2" in response.content.decode()


@pytest.mark.parametrize("students", [0, 10, 200])
@pytest.mark.parametrize("uploads", [0, 1, 7])
def test_a_poll_costs_one_query_besides_the_login(
    examiner_client, exam, students, uploads, django_assert_num_queries
):
    StudentFactory.create_batch(students, exam=exam)
    submitted(exam, DUE, count=uploads)

    # The session and its user with their time zone (the login check on every examiner
    # page), then the poll's one: the exam, its access check and its summary together.
    with django_assert_num_queries(3):
        fragment(examiner_client, exam)


@pytest.mark.parametrize("students", [0, 10, 200])
def test_with_redis_a_poll_costs_the_database_one_query(
    redis_cache, examiner_client, exam, students, django_assert_num_queries
):
    """With REDIS_URL set, the session and the login are read from Redis: the database sees
    the poll's own query and nothing else, once the first poll has cached the login."""
    StudentFactory.create_batch(students, exam=exam)
    submitted(exam, DUE, count=3)
    fragment(examiner_client, exam)

    with django_assert_num_queries(1):
        page = fragment(examiner_client, exam).content.decode()

    assert f"Submitted 3 of {students + 3}" in page


def test_a_poll_is_refused_to_a_stranger_and_to_a_removed_co_examiner(
    client, exam, django_assert_num_queries
):
    submitted(exam, DUE)
    stranger, co_examiner = UserFactory(), UserFactory()
    exam.co_examiners.add(co_examiner)
    client.force_login(co_examiner)
    assert "Submitted 1 of 1" in fragment(client, exam).content.decode()

    exam.co_examiners.remove(co_examiner)
    assert client.get(f"/exams/{exam.pk}/live/").status_code == 404
    client.force_login(stranger)
    assert client.get(f"/exams/{exam.pk}/live/").status_code == 404
    assert client.get(f"/exams/{exam.pk + 1000}/live/").status_code == 404


def test_an_exam_without_students_shows_zeros(examiner_client, exam):
    response = fragment(examiner_client, exam)

    assert response.context["exam"] == exam
    assert response.context["counts"] == {
        "total": 0,
        "submitted": 0,
        "waiting": 0,
        "no_uploads_left": 0,
        "committed": 0,
    }
    assert "Submitted 0 of 0" in response.content.decode()


def test_the_chart_costs_one_query_more_when_asked_for(
    examiner_client, exam, django_assert_num_queries
):
    submitted(exam, DUE, count=3)

    with django_assert_num_queries(4):
        response = fragment(examiner_client, exam, "?chart=1")

    assert 'data-testid="upload-chart"' in response.content.decode()
    assert 'data-testid="upload-chart"' not in fragment(examiner_client, exam).content.decode()


def test_it_asks_to_be_polled_while_the_exam_is_open(examiner_client, exam):
    page = fragment(examiner_client, exam).content.decode()

    assert f'data-refresh="/exams/{exam.pk}/live/"' in page
    assert f'data-every="{live.POLL_SECONDS}"' in page


@pytest.mark.parametrize("state", ["closed", "past the deadline"])
def test_it_stops_the_polling_once_the_exam_is_closed(examiner_client, exam, state):
    if state == "closed":
        exam.set_manual_state("closed")
    else:
        exam.closes_at = datetime(2020, 1, 1, tzinfo=UTC)
        exam.save()

    page = fragment(examiner_client, exam).content.decode()

    assert "data-refresh" not in page
    assert "data-refresh" not in examiner_client.get(f"/exams/{exam.pk}/").content.decode()


def test_the_exam_page_shows_the_live_counts_and_the_chart_and_loads_its_script(
    examiner_client, exam
):
    submitted(exam, DUE)

    page = examiner_client.get(f"/exams/{exam.pk}/").content.decode()

    assert 'id="live"' in page
    assert 'data-testid="upload-chart"' in page
    assert "/static/js/live.js" in page
    assert "<script>" not in page


def version_of(html):
    return re.search(r'data-version="([^"]*)"', html).group(1)


def test_the_counts_carry_a_version_that_moves_when_the_roster_would(
    examiner_client, client, exam, student
):
    """The page compares it with its own (static/js/live.js) and then says its roster is
    older than the counts, with a link to reload it."""
    page = examiner_client.get(f"/exams/{exam.pk}/").content.decode()
    before = version_of(page)
    assert 'id="roster-stale"' in page and "Reload the list" in page
    assert version_of(fragment(examiner_client, exam).content.decode()) == before

    post_upload(client, student)
    after = version_of(fragment(examiner_client, exam).content.decode())
    post_upload(client, student, b"%PDF-1.7 again")  # a replaced file: the same counts
    again = version_of(fragment(examiner_client, exam).content.decode())

    assert len({before, after, again}) == 3


def test_the_fragment_is_404_for_another_examiner(examiner_client):
    assert examiner_client.get(f"/exams/{ExamFactory().pk}/live/").status_code == 404


def test_the_fragment_needs_a_get(examiner_client, exam):
    assert examiner_client.post(f"/exams/{exam.pk}/live/").status_code == 405


# --- The chart ------------------------------------------------------------------------


def berlin_exam(**fields):
    return ExamFactory(time_zone="Europe/Berlin", closes_at=DUE, **fields)


def test_the_chart_spans_the_half_hour_before_the_deadline_and_the_quarter_after():
    exam = berlin_exam()

    chart = live.chart(exam, now=DUE)

    assert (chart.start, chart.end) == (DUE - timedelta(minutes=30), DUE + timedelta(minutes=15))
    assert len(chart.bars) == 45


def test_the_chart_counts_every_upload_per_minute_within_its_window():
    exam = berlin_exam()
    start, end = DUE - live.CHART_BEFORE, DUE + live.CHART_AFTER
    submitted(exam, start)  # the first moment of the window: in
    submitted(exam, start - timedelta(microseconds=1))  # just before: out
    submitted(exam, DUE - timedelta(seconds=1), count=3)  # the last minute before the deadline
    submitted(exam, DUE)
    submitted(exam, end - timedelta(microseconds=1))  # the window's last moment: in
    submitted(exam, end)  # its end: out
    replaced = submitted(exam, DUE + timedelta(minutes=5))[0]
    replaced.superseded_at = DUE + timedelta(minutes=6)
    replaced.save()
    submitted(berlin_exam(), DUE)  # another exam's upload

    chart = live.chart(exam, now=DUE)

    assert chart.counts == {
        start: 1,
        DUE - timedelta(minutes=1): 3,
        DUE: 1,
        DUE + timedelta(minutes=5): 1,
        end - timedelta(minutes=1): 1,
    }
    assert chart.total == 7
    assert chart.peak == 3
    assert chart.busiest.minute == DUE - timedelta(minutes=1)


def test_an_exam_without_a_deadline_charts_the_last_three_quarters_of_an_hour():
    exam = ExamFactory(closes_at=None)
    now = datetime(2030, 6, 3, 16, 7, 30, tzinfo=UTC)

    chart = live.chart(exam, now=now)

    assert chart.end == datetime(2030, 6, 3, 16, 8, tzinfo=UTC)
    assert chart.start == chart.end - timedelta(minutes=45)


@pytest.mark.parametrize(
    ("before", "window"),
    [
        (live.CHART_BEFORE, "deadline"),  # exactly half an hour before: the rush
        (live.CHART_BEFORE + timedelta(seconds=1), "last"),  # a moment earlier: not yet
        (timedelta(days=3), "last"),
        (-timedelta(days=3), "deadline"),  # long after: the rush stays to be seen
    ],
)
def test_the_chart_shows_the_last_three_quarters_of_an_hour_until_the_due_time_is_near(
    before, window
):
    exam = berlin_exam()
    now = DUE - before

    chart = live.chart(exam, now=now)

    if window == "deadline":
        assert (chart.start, chart.end) == (DUE - live.CHART_BEFORE, DUE + live.CHART_AFTER)
    else:
        assert chart.end == now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        assert chart.start == chart.end - timedelta(minutes=45)
        assert chart.now_x is not None  # "now" is on it


def test_the_chart_is_readable_without_colour(client, examiner):
    """Labelled axes in the exam's zone, the deadline named, a caption and a table."""
    exam = berlin_exam(owner=examiner)
    submitted(exam, DUE - timedelta(seconds=30), count=2)
    submitted(exam, DUE + timedelta(seconds=30))

    with time_machine.travel(DUE + timedelta(minutes=2), tick=False):
        client.force_login(examiner)
        page = client.get(f"/exams/{exam.pk}/").content.decode()

    assert 'role="img" aria-labelledby="chart-caption"' in page
    assert (
        "3 uploads from 3 Jun, 17:30 CEST to 3 Jun, 18:15 CEST, per minute; the busiest "
        "minute was 3 Jun, 17:59 CEST, with 2 uploads." in page
    )
    assert ">Time (CEST)</text>" in page
    assert ">17:30</text>" in page and ">18:10</text>" in page
    assert ">due</text>" in page and ">now</text>" in page
    assert "<td>3 Jun, 17:59 CEST</td><td>2</td>" in page
    assert "<td>3 Jun, 18:00 CEST</td><td>1</td>" in page
    assert "style=" not in page.split('id="live-chart"')[1].split("</figure>")[0]


def test_the_chart_of_an_exam_not_open_yet_is_left_out(examiner_client, examiner):
    exam = berlin_exam(owner=examiner, opens_at=datetime(2029, 1, 1, tzinfo=UTC))
    exam.closes_at = datetime(2099, 1, 1, tzinfo=UTC)
    exam.save()

    page = examiner_client.get(f"/exams/{exam.pk}/").content.decode()

    assert 'data-testid="upload-chart"' not in page


def test_it_counts_the_students_whose_committed_file_is_awaited(examiner_client, exam):
    awaited, _ = StudentFactory.create_batch(2, exam=exam)
    before = fragment(examiner_client, exam)

    commit_file(awaited)
    after = fragment(examiner_client, exam)

    assert 'data-testid="committed-count"' not in before.content.decode()
    assert after.context["counts"]["committed"] == 1
    assert "1 committed, awaiting the file" in after.content.decode()
    assert version_of(after.content.decode()) != version_of(before.content.decode())

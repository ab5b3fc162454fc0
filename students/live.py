"""The exam page's live part: the exam, its counts and its newest uploads in one query, and
the rush as a chart.

The exam page polls `exam_live` every few seconds while the exam is open, so many examiners
watching a deadline cost the database one query each per poll (`watch`), besides the login
check every examiner page has (which Redis answers when REDIS_URL is set: students.backends).
The chart costs one more and is asked for about once a minute (`chart`): it counts uploads
per minute.
"""

from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cached_property

from django.db.models import Count, F, FilteredRelation, Q, Subquery
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import ngettext

from students import times
from students.models import Exam, Student, commitment_model, submission_model

NEWEST = 5
POLL_SECONDS = 5
CHART_EVERY = 12  # polls: the chart, counted per minute, is asked for about once a minute
CHART_BEFORE = timedelta(minutes=30)  # the chart spans the half hour before the deadline
CHART_AFTER = timedelta(minutes=15)  # and the quarter after it (late uploads, the cut-off)
LABEL_EVERY = 10  # minutes between the time axis's labels


def _count(queryset, exam_field):
    """The rows of `queryset` (all of one exam) counted, as a subquery of one number."""
    grouped = queryset.order_by().values(exam_field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(grouped[:1]), 0)


def watch(exams, pk):
    """The exam `pk` if it is among `exams` (else None), with its summary: the roster's counts
    and its NEWEST current submissions, newest first.

    One query: the exam (`exams` filtered, so the access check is the same query) joined to
    its students whose current submission is among the NEWEST (read backwards along the
    accepted_at index) and to those submissions, one row each, or a single row without them
    before the first upload. Each row carries the counts (the students whose committed file
    is still awaited among them), as uncorrelated subqueries which the database computes
    once."""
    students = Student.objects.filter(exam_id=pk)
    current = submission_model().objects.current().filter(student__exam_id=pk)
    awaiting = commitment_model().objects.awaiting().filter(student__exam_id=pk)
    newest = current.order_by("-accepted_at", "-pk").values("student_id")[:NEWEST]
    rows = list(
        exams.filter(pk=pk)
        .alias(
            shown=FilteredRelation("students", condition=Q(students__pk__in=Subquery(newest))),
            upload=FilteredRelation(
                "shown__submissions", condition=Q(shown__submissions__superseded_at__isnull=True)
            ),
        )
        .annotate(
            **{f"student_{name}": F(f"shown__{name}") for name in STUDENT_FIELDS},
            **{f"upload_{name}": F(f"upload__{name}") for name in UPLOAD_FIELDS},
            total=_count(students, "exam_id"),
            submitted=_count(current, "student__exam_id"),
            no_uploads_left=_count(students.out_of_uploads(), "exam_id"),
            committed=_count(awaiting, "student__exam_id"),
        )
        .order_by(F("upload_accepted_at").desc(nulls_last=True), F("upload_id").desc())[:NEWEST]
    )
    if not rows:
        return None, None
    exam = rows[0]
    counts = {
        "total": exam.total,
        "submitted": exam.submitted,
        "waiting": exam.total - exam.submitted,
        "no_uploads_left": exam.no_uploads_left,
        "committed": exam.committed,
    }
    newest = [_submission(row) for row in rows if row.upload_id is not None]
    return exam, {"counts": counts, "newest": newest, "version": version(counts, newest)}


def version(counts, newest):
    """What changes whenever the roster below the counts would: a new or replaced upload, a
    student added or removed, uploads used up. The page compares it with the one it was
    made with, and says when its list is older than the counts. A commitment made or ended
    changes it too: the roster says who is awaited."""
    latest = newest[0].pk if newest else 0
    parts = [counts["total"], counts["submitted"], counts["no_uploads_left"], latest]
    return "-".join(map(str, [*parts, counts["committed"]]))


STUDENT_FIELDS = ["id", "exam_id", "nickname", "first_name", "last_name"]
UPLOAD_FIELDS = ["id", "accepted_at", "late_by"]


def _submission(row):
    """A submission and its student, from the columns of them that the watch query read."""

    def read(model, prefix, names):
        return model.from_db(None, names, [getattr(row, f"{prefix}_{name}") for name in names])

    submission = read(submission_model(), "upload", UPLOAD_FIELDS)
    submission.student = read(Student, "student", STUDENT_FIELDS)
    return submission


def summary(exam):
    """`watch`'s summary of an exam already in hand (the exam page's first view)."""
    return watch(Exam.objects.filter(pk=exam.pk), exam.pk)[1]


@dataclass
class Bar:
    minute: object  # the minute's start, an aware datetime
    count: int
    x: float
    y: float
    height: float
    when: str = ""  # the minute as times.format_time writes it, for a minute with uploads

    @property
    def title(self):
        """What the bar says on hover: its minute and its uploads."""
        text = ngettext("%(minute)s: %(count)s upload", "%(minute)s: %(count)s uploads", self.count)
        return text % {"minute": self.when, "count": self.count}


@dataclass
class Label:
    x: float
    text: str


@dataclass
class Chart:
    """Uploads per minute from `start` to `end`, laid out for an SVG of WIDTH × HEIGHT."""

    WIDTH = 640
    HEIGHT = 200
    LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 36

    start: object
    end: object
    counts: dict
    due: object = None
    now: object = None

    @property
    def minutes(self):
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def plot_width(self):
        return self.WIDTH - self.LEFT - self.RIGHT

    @property
    def plot_height(self):
        return self.HEIGHT - self.TOP - self.BOTTOM

    @property
    def baseline(self):
        return self.TOP + self.plot_height

    @property
    def bar_width(self):
        return self.plot_width / self.minutes

    @cached_property
    def peak(self):
        return max(self.counts.values(), default=0)

    @property
    def total(self):
        return sum(self.counts.values())

    @cached_property
    def busiest(self):
        """The first minute with the most uploads, or None when there were none."""
        return next((bar for bar in self.bars if bar.count == self.peak and bar.count), None)

    def x_of(self, moment):
        return self.LEFT + (moment - self.start).total_seconds() / 60 * self.bar_width

    @cached_property
    def bars(self):
        """Every minute's bar. Computed once: the chart, its labels, its caption and its
        table all read them."""
        scale = self.plot_height / max(self.peak, 1)
        write = times.writer("short")
        bars = []
        for i in range(self.minutes):
            minute = self.start + timedelta(minutes=i)
            count = self.counts.get(minute, 0)
            height = count * scale
            x = self.LEFT + i * self.bar_width
            when = write(minute) if count else ""
            bars.append(Bar(minute, count, x, self.baseline - height, height, when))
        return bars

    @property
    def labels(self):
        """Every LABEL_EVERY minutes on the time axis, as HH:MM in the active zone."""
        local = ((bar, timezone.localtime(bar.minute)) for bar in self.bars)
        return [
            Label(bar.x, minute.strftime("%H:%M"))
            for bar, minute in local
            if minute.minute % LABEL_EVERY == 0
        ]

    @property
    def zone(self):
        return times.zone_name(timezone.localtime(self.start))

    @property
    def due_x(self):
        return self.x_of(self.due) if self.due and self.start <= self.due <= self.end else None

    @property
    def now_x(self):
        return self.x_of(self.now) if self.now and self.start <= self.now <= self.end else None

    @property
    def rows(self):
        """The minutes that had uploads, for the chart's table: the same facts as text."""
        return [bar for bar in self.bars if bar.count]


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def chart_window(exam, now):
    """From CHART_BEFORE the deadline to CHART_AFTER it, in whole minutes, once the
    deadline is that near (and after it: the rush stays to be seen); before then, or
    without a deadline, the same span up to the current minute (not an empty window)."""
    if exam.closes_at and now >= exam.closes_at - CHART_BEFORE:
        return _minute(exam.closes_at - CHART_BEFORE), _minute(exam.closes_at + CHART_AFTER)
    end = _minute(now) + timedelta(minutes=1)
    return end - CHART_BEFORE - CHART_AFTER, end


def chart(exam, now=None):
    """Every upload (replaced ones too: each is an arrival) per minute around the deadline,
    in one query."""
    now = now or timezone.now()
    start, end = chart_window(exam, now)
    per_minute = (
        submission_model()
        .objects.filter(student__exam_id=exam.pk, accepted_at__gte=start, accepted_at__lt=end)
        .annotate(minute=Trunc("accepted_at", "minute", tzinfo=UTC))
        .values("minute")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["minute"]: row["n"] for row in per_minute}
    return Chart(start=start, end=end, counts=counts, due=exam.closes_at, now=now)

"""
The exam page's live fragment under 100 examiners' polls, measured in-process.

Creates a throwaway test database (Django's `test_` prefix on the configured database,
dropped at the end), seeds an exam of 10,000 students of whom half uploaded in the half hour
before the deadline, then measures `/exams/<pk>/live/`, once as a process without a shared
cache has it (sessions and logins read from the database) and, when REDIS_URL is set, once
as production with Redis has it (both read from Redis):

- 100 polls one after another: server time per poll, the queries each costs and the
  database's time for them;
- 100 polls from 10 threads at once (10 examiners' browsers each, own connections);
- the poll's own query alone, as PostgreSQL runs it (EXPLAIN ANALYZE);
- the chart (`?chart=1`, about once a minute per examiner): time and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/depository \\
        REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/live_poll.py
    .venv/bin/python bench/live_poll.py            # SQLite in memory, no Redis
    LIVE_POLL_STUDENTS=300 .venv/bin/python bench/live_poll.py   # an exam of another size

Server time here is the view's time without a network or a web server in front.
"""

import os
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

STUDENTS = int(os.environ.get("LIVE_POLL_STUDENTS", "10000"))  # the exam's size
POLLS = 100
THREADS = 10


def seed(exam):
    from students.models import Student
    from submissions.models import Submission

    Student.objects.bulk_create(
        (
            Student(
                exam=exam,
                nickname=f"r{i:06d}",
                first_name=f"Grace{i}",
                last_name=f"Hopper{i:05d}",
                uploads_used=1 if i % 2 == 0 else 0,
            )
            for i in range(STUDENTS)
        ),
        batch_size=2000,
    )
    submitted = exam.students.filter(uploads_used=1).values_list("pk", flat=True)
    start = exam.closes_at - timedelta(minutes=30)
    Submission.objects.bulk_create(
        (
            Submission(
                student_id=pk,
                file=f"submissions/bench-{pk}",
                original_name="answer.pdf",
                size=1000,
                sha256="0" * 64,
                # More and more towards the deadline: the rush.
                accepted_at=start + timedelta(seconds=1800 * (i / (STUDENTS / 2)) ** 0.5),
            )
            for i, pk in enumerate(submitted)
        ),
        batch_size=2000,
    )


def poll(client, url):
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def figures(times):
    ordered = sorted(times)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"


def is_the_polls_own(query):
    return "students_student" in query["sql"]


def sequential(client, url):
    poll(client, url)  # warm: templates compiled, connection open, the login cached
    times = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(POLLS):
            times.append(poll(client, url))
    captured = queries.captured_queries
    own = [q for q in captured if is_the_polls_own(q)]
    others = sorted({q["sql"].split(" FROM ")[1].split()[0] for q in captured if q not in own})
    database_ms = sum(float(q["time"]) for q in captured) * 1000 / POLLS
    own_ms = statistics.median(float(q["time"]) * 1000 for q in own) if own else 0
    print(f"  {POLLS} polls one after another: {figures(times)}")
    print(
        f"  queries per poll: {len(captured) / POLLS:g}, of which the poll's own "
        f"{len(own) / POLLS:g} (median {own_ms:.1f} ms); the others read "
        f"{', '.join(others) or 'nothing'}; database time per poll {database_ms:.1f} ms"
    )
    return captured


def concurrent(examiner, url):
    times, lock = [], threading.Lock()

    def browser():
        client = Client()
        client.force_login(examiner)
        mine = [poll(client, url) for _ in range(POLLS // THREADS)]
        with lock:
            times.extend(mine)
        connections.close_all()

    threads = [threading.Thread(target=browser) for _ in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(
        f"  {POLLS} polls from {THREADS} threads at once: {figures(times)}; "
        f"{POLLS / wall:.0f} polls/s on this machine"
    )


def explain(captured):
    if connection.vendor != "postgresql":
        return
    sql = next(q["sql"] for q in captured if is_the_polls_own(q))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    print("  The poll's own query in PostgreSQL: " + ", ".join(p.strip() for p in plan[-2:]))
    if os.environ.get("PLAN"):
        print(sql)
        print("\n".join(plan))


def chart(client, url):
    with CaptureQueriesContext(connection) as queries:
        times = [poll(client, url + "?chart=1") for _ in range(10)]
    print(f"  with the chart (?chart=1), 10 polls: {figures(times)}, {len(queries) / 10:g} queries")


def configurations():
    """Sessions and logins as a process without a shared cache reads them, then (with
    REDIS_URL) as production with Redis does."""
    yield (
        "Without Redis (sessions and logins from the database):",
        {
            "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            "SESSION_ENGINE": "django.contrib.sessions.backends.db",
            "CACHE_LOGINS": False,
        },
    )
    if os.environ.get("REDIS_URL"):
        prefix = f"bench-live-{os.getpid()}"
        yield (
            "With Redis (sessions and logins from Redis):",
            {
                "CACHES": {
                    "default": {
                        "BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": os.environ["REDIS_URL"],
                        "KEY_PREFIX": prefix,
                    }
                },
                "SESSION_ENGINE": "depository.sessions",
                "CACHE_LOGINS": True,
            },
        )
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in client.scan_iter(f"{prefix}:*"):  # ours only: the Redis may be shared
            client.delete(key)


def main():
    from students.tests.factories import ExamFactory, UserFactory

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        # Axes records logins by client address; force_login's bare request has none.
        with override_settings(DEBUG=False, AXES_ENABLED=False, ALLOWED_HOSTS=["*"]):
            print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
            examiner = UserFactory()
            exam = ExamFactory(owner=examiner, closes_at=timezone.now() + timedelta(minutes=1))
            seed(exam)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            print(f"(an exam of {STUDENTS:,} students, {STUDENTS // 2:,} of them submitted)")
            url = f"/exams/{exam.pk}/live/"
            for name, cache in configurations():
                with override_settings(**cache):
                    print(name)
                    client = Client()
                    client.force_login(examiner)
                    captured = sequential(client, url)
                    explain(captured)
                    concurrent(examiner, url)
                    chart(client, url)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from students.tests.factories import StudentFactory
from submissions import throttle
from submissions.models import CodeMissCount
from submissions.tests.helpers import http_get, post_upload, upload_url
from submissions.throttle import Window

LIMIT = 50


def guess_url():
    return reverse("submissions:upload", args=[secrets.token_urlsafe(24)])


@pytest.fixture(params=["table", "redis_store"])
def shared_store(request, settings, db):
    """Each store the throttle can count in: its table, and Redis (CI sets REDIS_URL)."""
    settings.CODE_MISS_LIMIT = LIMIT
    settings.CODE_MISS_WINDOW = 600
    if request.param == "redis_store":
        request.getfixturevalue("redis_store")
    return request.param


@pytest.mark.django_db
def test_it_lets_500_right_codes_through_and_throttles_60_guesses(client, exam, shared_store):
    students = StudentFactory.create_batch(50, exam=exam)
    submission_codes = []
    for student in students[:10]:
        post_upload(client, student)
        submission_codes.append(student.submissions.get().verification_code)

    right = [upload_url(student) for student in students] * 9
    right += [f"{reverse('submissions:verify')}?code={code}" for code in submission_codes] * 5
    assert len(right) == 500
    statuses = [client.get(url).status_code for url in right]
    assert statuses == [200] * 500

    guesses = [client.get(guess_url()).status_code for _ in range(60)]
    assert guesses == [404] * LIMIT + [429] * 10

    # Now every code lookup from this IP gets the same 429, so it reveals nothing.
    assert client.get(upload_url(students[0])).status_code == 429
    assert (
        client.get(f"{reverse('submissions:verify')}?code={submission_codes[0]}").status_code == 429
    )


@pytest.mark.django_db
def test_it_shows_a_readable_page_and_when_to_retry(client, settings):
    settings.CODE_MISS_LIMIT = 3
    for _ in range(3):
        client.get(guess_url())

    response = client.get(guess_url())

    assert response.status_code == 429
    assert b"Too many wrong codes" in response.content
    assert 0 < int(response["Retry-After"]) <= settings.CODE_MISS_WINDOW


@pytest.mark.django_db
def test_it_counts_misses_on_every_code_page(client, settings, student):
    settings.CODE_MISS_LIMIT = 6
    misses = [
        guess_url(),
        reverse("submissions:upload", args=["not a code <b>"]),
        reverse("submissions:receipt", args=[student.upload_code, "7KQ2M9XD3HFP"]),
        reverse("submissions:verify") + "?code=7KQ2-M9XD-3HFP",
        reverse("submissions:verify") + "?code=ZZZZ-ZZZZ-ZZZZ",
        reverse("submissions:download", args=["7KQ2M9XD3HFP"]),
    ]
    assert [client.get(url).status_code for url in misses] == [404] * 6

    assert client.get(upload_url(student)).status_code == 429


@pytest.mark.django_db
def test_it_counts_an_upload_post_to_an_unknown_code(client, settings, student):
    settings.CODE_MISS_LIMIT = 1
    response = client.post(guess_url(), {"form_token": "t"})
    assert response.status_code == 404

    response = post_upload(client, student)

    assert response.status_code == 429
    assert not student.submissions.exists()


@pytest.mark.django_db
def test_it_counts_each_client_ip_apart(client, settings, student):
    settings.CODE_MISS_LIMIT = 2
    for _ in range(2):
        client.get(guess_url(), REMOTE_ADDR="203.0.113.7")

    assert client.get(upload_url(student), REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.get(upload_url(student), REMOTE_ADDR="203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_it_counts_an_ipv6_client_by_its_64_block(client, settings, student):
    settings.CODE_MISS_LIMIT = 2
    client.get(guess_url(), REMOTE_ADDR="2001:db8:1:2::1")
    client.get(guess_url(), REMOTE_ADDR="2001:db8:1:2::ffff")

    assert client.get(upload_url(student), REMOTE_ADDR="2001:db8:1:2::42").status_code == 429
    assert client.get(upload_url(student), REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


@pytest.mark.django_db
def test_it_counts_an_ipv4_client_on_a_dual_stack_socket_by_its_ipv4_address(
    client, settings, student
):
    settings.CODE_MISS_LIMIT = 2
    client.get(guess_url(), REMOTE_ADDR="::ffff:203.0.113.7")
    client.get(guess_url(), REMOTE_ADDR="203.0.113.7")

    assert client.get(upload_url(student), REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.get(upload_url(student), REMOTE_ADDR="::ffff:203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_it_trusts_fly_client_ip_only_behind_fly(client, settings, student):
    settings.CODE_MISS_LIMIT = 2
    settings.BEHIND_FLY_PROXY = False
    for n in range(2):  # a guesser writing its own header gains nothing
        client.get(guess_url(), HTTP_FLY_CLIENT_IP=f"198.51.100.{n}")
    assert client.get(upload_url(student)).status_code == 429

    settings.BEHIND_FLY_PROXY = True
    # Behind Fly every request comes from the proxy; the header names the client.
    for _ in range(2):
        client.get(guess_url(), REMOTE_ADDR="10.0.0.5", HTTP_FLY_CLIENT_IP="198.51.100.1")
    blocked = client.get(
        upload_url(student), REMOTE_ADDR="10.0.0.5", HTTP_FLY_CLIENT_IP="198.51.100.1"
    )
    other = client.get(
        upload_url(student), REMOTE_ADDR="10.0.0.5", HTTP_FLY_CLIENT_IP="198.51.100.2"
    )
    assert (blocked.status_code, other.status_code) == (429, 200)


@pytest.mark.django_db
def test_it_lifts_the_block_when_the_window_ends(client, settings, student, shared_store):
    settings.CODE_MISS_LIMIT = 2
    # In the future: Redis, on its own clock, would drop a key of a past window at once.
    with time_machine.travel("2036-06-01 09:00:00Z", tick=False) as clock:
        client.get(guess_url())
        client.get(guess_url())
        assert client.get(upload_url(student)).status_code == 429

        clock.shift(settings.CODE_MISS_WINDOW)

        assert client.get(upload_url(student)).status_code == 200


@pytest.mark.django_db
def test_right_codes_never_count(client, settings, student):
    settings.CODE_MISS_LIMIT = 1
    for _ in range(20):
        assert client.get(upload_url(student)).status_code == 200
    post_upload(client, student)
    code = student.submissions.get().verification_code
    for _ in range(20):
        assert client.get(reverse("submissions:verify") + f"?code={code}").status_code == 200


@pytest.mark.django_db
def test_a_miss_is_counted_in_this_windows_row_which_ends_with_the_window(client, settings):
    settings.CODE_MISS_WINDOW = 600
    with time_machine.travel("2026-06-01 09:03:20Z", tick=False):
        client.get(guess_url())
        client.get(guess_url())

    row = CodeMissCount.objects.get()
    assert (row.network, row.misses) == ("127.0.0.1", 2)
    assert row.window_start == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert row.expires_at == datetime(2026, 6, 1, 9, 10, tzinfo=UTC)


@pytest.mark.django_db
def test_a_miss_in_redis_expires_when_its_window_ends(client, settings, redis_store):
    settings.CODE_MISS_WINDOW = 600
    client.get(guess_url())

    window = Window.now()
    key = f"{redis_store.prefix}:127.0.0.1:{window.start}"
    assert int(redis_store.get(key)) == 1
    assert redis_store.expiretime(key) == window.end
    assert 0 < redis_store.ttl(key) <= 600


@pytest.mark.django_db
def test_each_window_has_a_count_of_its_own(client, settings, student):
    settings.CODE_MISS_LIMIT = 2
    with time_machine.travel("2026-06-01 09:09:59Z", tick=False) as clock:
        client.get(guess_url())
        clock.move_to("2026-06-01 09:10:00Z")  # the next window, exactly at its start
        client.get(guess_url())

        assert client.get(upload_url(student)).status_code == 200
        assert sorted(CodeMissCount.objects.values_list("misses", flat=True)) == [1, 1]


def count_at_once(threads):
    """Each thread counts one miss for the same network at the same moment."""
    barrier = threading.Barrier(threads)
    counts = []

    def miss():
        try:
            barrier.wait(timeout=30)
            counts.append(throttle.record_miss("203.0.113.7"))
        finally:
            connection.close()

    workers = [threading.Thread(target=miss) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return sorted(counts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_misses_at_once_in_the_table_each_get_a_count_of_their_own():
    assert count_at_once(64) == list(range(1, 65))
    assert CodeMissCount.objects.get().misses == 64


@pytest.mark.django_db(transaction=True)
def test_64_misses_at_once_in_redis_each_get_a_count_of_their_own(redis_store):
    assert count_at_once(64) == list(range(1, 65))


@pytest.mark.django_db
def test_it_lets_requests_through_when_redis_is_down_and_logs_an_error(
    client, settings, student, caplog
):
    """A Redis that nobody listens for (port 1): uploads must go on during an exam."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CODE_MISS_LIMIT = 1

    assert client.get(guess_url()).status_code == 404
    assert client.get(guess_url()).status_code == 404
    assert post_upload(client, student).status_code == 302
    failures = [r for r in caplog.records if r.name == "submissions.throttle"]
    assert failures and {r.levelname for r in failures} == {"ERROR"}
    assert "cannot read Redis at 127.0.0.1:1/0" in failures[0].getMessage()
    assert "cannot write Redis at 127.0.0.1:1/0" in caplog.text


@pytest.fixture
def table_gone(db):
    """The fault: the counter table is missing (renamed away inside the test's transaction,
    which puts it back)."""
    table = connection.ops.quote_name(CodeMissCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO gone_code_misses")


def test_it_lets_requests_through_when_its_table_is_missing_and_logs_an_error(
    client, settings, student, caplog, table_gone
):
    settings.CODE_MISS_LIMIT = 1

    assert client.get(guess_url()).status_code == 404
    assert client.get(guess_url()).status_code == 404
    assert post_upload(client, student).status_code == 302
    failures = [r for r in caplog.records if r.name == "submissions.throttle"]
    assert failures and {r.levelname for r in failures} == {"ERROR"}
    assert "cannot read the table submissions_codemisscount" in caplog.text
    assert "cannot write the table submissions_codemisscount" in caplog.text


@pytest.mark.django_db
def test_check_store_passes_on_a_working_table_and_leaves_no_row():
    throttle.check_store()

    assert not CodeMissCount.objects.exists()


def test_check_store_raises_when_the_table_is_missing(table_gone):
    with pytest.raises(throttle.StoreUnavailable, match="cannot read or write the table"):
        throttle.check_store()


@pytest.mark.django_db
def test_check_store_passes_on_a_working_redis_and_leaves_no_key(redis_store):
    throttle.check_store()

    assert list(redis_store.scan_iter(f"{redis_store.prefix}:*")) == []


def test_check_store_raises_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://:secret@127.0.0.1:1/0"

    with pytest.raises(throttle.StoreUnavailable) as raised:
        throttle.check_store()

    assert "cannot read or write Redis at 127.0.0.1:1/0" in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_guessers_on_two_servers_get_exactly_the_limit_of_404s(app_servers):
    """300 wrong codes from 64 threads at once, spread over two server processes that share
    the database (no Redis: the table, as production runs today)."""
    student = StudentFactory()
    servers = app_servers.start(
        servers=2,
        workers=1,
        CODE_MISS_LIMIT=str(LIMIT),
        CODE_MISS_WINDOW=str(10**8),  # one window for the whole test, whenever it runs
    )

    with ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(lambda n: http_get(servers[n % 2] + guess_url())[0], range(300)))

    assert Counter(statuses) == {404: LIMIT, 429: 300 - LIMIT}, app_servers.logs()
    assert [http_get(server + upload_url(student))[0] for server in servers] == [429, 429]
    counted = CodeMissCount.objects.get(network="127.0.0.1").misses
    print(f"misses counted: {counted} (the rest were refused before their view ran)")

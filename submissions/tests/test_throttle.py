import os
import secrets
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from conftest import IN_CI
from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload, upload_url

REDIS_URL = os.environ.get("REDIS_URL", "")
LIMIT = 50


def guess_url():
    return reverse("submissions:upload", args=[secrets.token_urlsafe(24)])


@pytest.fixture
def database_cache(settings, db):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "depository_cache",
            "TIMEOUT": settings.CODE_MISS_WINDOW,
        }
    }
    call_command("createcachetable")


@pytest.fixture
def redis_cache(settings):
    """The Redis that REDIS_URL names (CI sets it); locally the test skips without it."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI must test the throttle on Redis: set REDIS_URL (see .ci/run).")
        pytest.skip("needs Redis: set REDIS_URL to run it")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "TIMEOUT": settings.CODE_MISS_WINDOW,
        }
    }
    from django.core.cache import cache

    cache.get("ping")  # fails here, loudly, when Redis cannot be reached
    yield
    cache.clear()


@pytest.fixture(params=["database_cache", "redis_cache"])
def shared_cache(request, settings):
    settings.CODE_MISS_LIMIT = LIMIT
    settings.CODE_MISS_WINDOW = 600
    request.getfixturevalue(request.param)
    return request.param


@pytest.mark.django_db
def test_it_lets_500_right_codes_through_and_throttles_60_guesses(client, exam, shared_cache):
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
        reverse("submissions:verify") + "?code=" + "x" * 500,
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
def test_it_lifts_the_block_when_the_window_ends(client, settings, student, database_cache):
    settings.CODE_MISS_LIMIT = 2
    with time_machine.travel("2026-06-01 09:00:00Z", tick=False) as clock:
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
def test_it_lets_requests_through_when_its_cache_is_down(client, settings, student, caplog):
    """A Redis that nobody listens for (port 1): uploads must go on during an exam."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.CODE_MISS_LIMIT = 1

    assert client.get(guess_url()).status_code == 404
    assert client.get(guess_url()).status_code == 404
    assert post_upload(client, student).status_code == 302
    assert "cannot read its cache" in caplog.text

import pytest
import time_machine
from django.urls import reverse

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Dozens of logins: a slow hasher would only slow the test down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, examiner, password, **headers):
    return client.post(
        reverse("login"), {"username": examiner.username, "password": password}, **headers
    )


def fail(client, examiner, times, **headers):
    for _ in range(times):
        assert login(client, examiner, "wrong", **headers).status_code in {200, 429}


def test_it_locks_out_after_five_wrong_passwords(client, examiner, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, examiner, 5)

    response = login(client, examiner, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock_out(client, examiner):
    fail(client, examiner, 4)

    assert login(client, examiner, PASSWORD).status_code == 302


def test_a_success_starts_the_count_again(client, examiner):
    fail(client, examiner, 4)
    assert login(client, examiner, PASSWORD).status_code == 302
    client.logout()
    fail(client, examiner, 4)

    assert login(client, examiner, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, examiner, settings):
    with time_machine.travel("2026-06-01 09:00:00Z", tick=False) as clock:
        fail(client, examiner, 5)
        assert login(client, examiner, PASSWORD).status_code == 429

        clock.shift(settings.AXES_COOLOFF_TIME)
        clock.shift(1)

        assert login(client, examiner, PASSWORD).status_code == 302


def test_it_locks_that_username_from_that_ip_only(client, examiner):
    fail(client, examiner, 5, REMOTE_ADDR="203.0.113.9")

    assert login(client, examiner, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert login(client, examiner, PASSWORD, REMOTE_ADDR="203.0.113.10").status_code == 302


def test_it_ignores_fly_client_ip_unless_behind_fly(client, examiner, settings):
    settings.BEHIND_FLY_PROXY = False
    for n in range(5):
        login(client, examiner, "wrong", HTTP_FLY_CLIENT_IP=f"198.51.100.{n}")

    assert login(client, examiner, PASSWORD, HTTP_FLY_CLIENT_IP="198.51.100.99").status_code == 429


def test_behind_fly_it_counts_by_fly_client_ip(client, examiner, settings):
    settings.BEHIND_FLY_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    fail(client, examiner, 5, HTTP_FLY_CLIENT_IP="198.51.100.1", **proxy)

    locked = login(client, examiner, PASSWORD, HTTP_FLY_CLIENT_IP="198.51.100.1", **proxy)
    other = login(client, examiner, PASSWORD, HTTP_FLY_CLIENT_IP="198.51.100.2", **proxy)

    assert (locked.status_code, other.status_code) == (429, 302)


# The admin has no login form of its own (depository/admin.py): it sends to this one.
LOGIN_URLS = ["/accounts/login/"]
WRONG = {"/accounts/login/": "Please enter a correct username and password."}


def post_username(client, url, username):
    return client.post(url, {"username": username, "password": "wrong"})


@pytest.mark.parametrize("url", LOGIN_URLS)
@pytest.mark.parametrize("length", [255, 256, 100_000])
def test_any_username_length_gets_the_ordinary_wrong_login_answer(client, url, length):
    response = post_username(client, url, "u" * length)

    assert response.status_code == 200
    assert WRONG[url] in response.content.decode()


@pytest.mark.parametrize("url", LOGIN_URLS)
@pytest.mark.parametrize("length", [255, 256, 100_000])
def test_any_username_length_is_locked_out_at_the_fifth_wrong_password(client, url, length):
    username = "u" * length
    statuses = [post_username(client, url, username).status_code for _ in range(6)]

    assert statuses == [200] * 4 + [429] * 2
    assert "Too many failed logins" in post_username(client, url, username).content.decode()


def test_long_usernames_that_start_alike_are_counted_apart(client):
    start = "u" * 300
    for _ in range(4):
        post_username(client, "/accounts/login/", start + "a")

    assert post_username(client, "/accounts/login/", start + "a").status_code == 429
    assert post_username(client, "/accounts/login/", start + "b").status_code == 200


def test_it_ignores_x_real_ip_unless_behind_the_buffering_proxy(client, examiner, settings):
    settings.BEHIND_BUFFERING_PROXY = False
    for n in range(5):
        login(client, examiner, "wrong", HTTP_X_REAL_IP=f"198.51.100.{n}")

    assert login(client, examiner, PASSWORD, HTTP_X_REAL_IP="198.51.100.99").status_code == 429


def test_behind_the_buffering_proxy_it_counts_by_x_real_ip(client, examiner, settings):
    settings.BEHIND_BUFFERING_PROXY = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    fail(client, examiner, 5, HTTP_X_REAL_IP="198.51.100.1", **proxy)

    locked = login(client, examiner, PASSWORD, HTTP_X_REAL_IP="198.51.100.1", **proxy)
    other = login(client, examiner, PASSWORD, HTTP_X_REAL_IP="198.51.100.2", **proxy)

    assert (locked.status_code, other.status_code) == (429, 302)

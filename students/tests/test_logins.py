"""Who is logged in, from the database or, with REDIS_URL set, from Redis (students.backends):
a cached login must never outlive a change to its user."""

import socket
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from students import backends
from students.backends import ExaminerBackend
from students.models import ExaminerProfile
from students.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/exams/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    assert client.get(PAGE).status_code == 200  # the login is read, and cached with Redis
    return client


def is_logged_in(client):
    return client.get(PAGE).status_code == 200


def test_the_user_comes_with_their_time_zone_in_one_query(django_assert_num_queries):
    user = UserFactory()
    ExaminerProfile.objects.create(user=user, time_zone="Asia/Tokyo")

    with django_assert_num_queries(1):
        found = ExaminerBackend().get_user(user.pk)
        assert found.examiner_profile.time_zone == "Asia/Tokyo"


def test_a_user_without_a_profile_costs_no_second_query(django_assert_num_queries):
    user = UserFactory()

    with django_assert_num_queries(1):
        found = ExaminerBackend().get_user(user.pk)
        assert not hasattr(found, "examiner_profile")


def test_without_redis_nothing_is_cached(examiner):
    client = logged_in(examiner)

    assert not cache.get(f"login:{examiner.pk}:")
    assert is_logged_in(client)


def test_with_redis_a_second_request_reads_the_login_from_redis(
    redis_cache, examiner, django_assert_num_queries
):
    client = logged_in(examiner)

    with django_assert_num_queries(0):
        user = ExaminerBackend().get_user(examiner.pk)
    assert user == examiner
    assert list(redis_cache.scan_iter(f"{redis_cache.prefix}:*:login:{examiner.pk}:*"))
    assert is_logged_in(client)


def test_with_redis_a_changed_password_ends_the_other_sessions(redis_cache, examiner):
    client = logged_in(examiner)

    examiner.set_password("a new one, chosen after a leak")
    examiner.save()

    assert not is_logged_in(client)


def test_with_redis_a_deactivated_examiner_is_logged_out(redis_cache, examiner):
    client = logged_in(examiner)

    examiner.is_active = False
    examiner.save()

    assert not is_logged_in(client)


def test_with_redis_a_deleted_examiner_is_logged_out(redis_cache, examiner):
    client = logged_in(examiner)
    session = client.session[SESSION_KEY]

    examiner.delete()

    assert ExaminerBackend().get_user(session) is None
    assert not is_logged_in(client)


def test_with_redis_a_new_time_zone_shows_on_the_next_page(redis_cache, examiner):
    client = logged_in(examiner)
    assert client.post("/exams/time-zone/", {"time_zone": "Asia/Tokyo"}).status_code == 302

    assert ExaminerBackend().get_user(examiner.pk).examiner_profile.time_zone == "Asia/Tokyo"
    assert "Asia/Tokyo" in client.get(PAGE).content.decode()


def test_with_redis_a_user_read_before_a_change_is_not_put_back(redis_cache, examiner):
    """A request that read the user just before a change stores them after it: under the old
    generation, which no one reads again."""
    old = ExaminerBackend().get_user(examiner.pk)
    generation = cache.get(backends._generation_key(examiner.pk), "")
    examiner.is_active = False
    examiner.save()

    cache.set(f"login:{examiner.pk}:{generation}", old)  # the slow request's late write

    assert ExaminerBackend().get_user(examiner.pk) is None


def test_with_redis_a_change_is_forgotten_again_when_it_commits(
    redis_cache, examiner, django_capture_on_commit_callbacks
):
    """Until the change commits, other requests read the old row and may cache it: the
    generation is replaced once more at the commit."""
    with django_capture_on_commit_callbacks() as callbacks:
        examiner.is_active = False
        examiner.save()
        before_commit = cache.get(backends._generation_key(examiner.pk))
        cache.set(f"login:{examiner.pk}:{before_commit}", ExaminerBackend()._user(examiner.pk))

    for callback in callbacks:
        callback()

    assert cache.get(backends._generation_key(examiner.pk)) != before_commit
    assert ExaminerBackend().get_user(examiner.pk) is None


def test_with_redis_logging_out_ends_the_session_in_redis_too(redis_cache, examiner):
    client = logged_in(examiner)
    cookie = client.cookies["sessionid"].value

    client.post("/accounts/logout/")

    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert not is_logged_in(replay)


# --- While Redis is down -----------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The production configuration with REDIS_URL set, but nothing answers at its address
    (a closed port): a real fault."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    settings.SESSION_ENGINE = "depository.sessions"
    settings.CACHE_LOGINS = True


def test_while_redis_is_down_an_examiner_logs_in_and_works_from_the_database(
    redis_down, examiner, exam, client
):
    response = client.post(
        "/accounts/login/",
        {"username": examiner.username, "password": "correct horse battery staple"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302

    assert client.get(f"/exams/{exam.pk}/").status_code == 200
    assert "Submitted 0 of 0" in client.get(f"/exams/{exam.pk}/live/").content.decode()


def test_while_redis_is_down_a_change_to_the_user_still_takes_effect(redis_down, examiner):
    client = logged_in(examiner)

    examiner.is_active = False
    examiner.save()  # its generation cannot be replaced: logged, not raised

    assert not is_logged_in(client)


def test_while_redis_is_down_logging_out_changes_nothing_and_says_so(redis_down, examiner):
    client = logged_in(examiner)

    response = client.post("/accounts/logout/")

    # Its row could go, but not its copy in Redis: the logout must not pretend to have
    # happened, nor happen by half (the copy would log the cookie in again).
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "You are still logged in" in page
    assert "Nothing was changed. Please try again in a minute." in page
    assert 'action="/accounts/logout/"' in page  # the way to try again
    assert is_logged_in(client)


def test_the_refusal_speaks_the_examiners_language(redis_down, examiner):
    client = logged_in(examiner)

    response = client.post("/accounts/logout/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 503
    assert "Sie sind weiterhin angemeldet" in response.content.decode()


def test_a_logout_refused_while_redis_was_down_works_once_it_is_back_and_lasts(
    redis_cache, settings, examiner
):
    client = logged_in(examiner)  # its session is now in Redis as well
    working = settings.CACHES
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CACHES = {
        "default": {**working["default"], "LOCATION": f"redis://127.0.0.1:{closed}/0"}
    }
    refused = client.post("/accounts/logout/")
    settings.CACHES = working  # Redis is back, with the session it held

    still_in = is_logged_in(client)
    done = client.post("/accounts/logout/")

    assert refused.status_code == 503
    assert still_in  # as the refusal said
    assert done.status_code == 302
    assert not is_logged_in(client)
    assert not list(redis_cache.scan_iter(f"{redis_cache.prefix}:*session*"))


# --- The deploy that brought ExaminerBackend ---------------------------------------------


def test_a_session_from_before_the_examiner_backend_stays_logged_in(settings, examiner):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    client = logged_in(examiner)  # as the release before logged examiners in
    settings.AUTHENTICATION_BACKENDS = ["students.backends.ExaminerBackend"]
    assert not is_logged_in(client)  # Django's rule: that backend is gone

    migration = import_module("students.migrations.0014_sessions_name_the_examiner_backend")
    migration.rename(migration.MODEL_BACKEND, migration.EXAMINER_BACKEND)(django_apps, None)

    assert is_logged_in(client)

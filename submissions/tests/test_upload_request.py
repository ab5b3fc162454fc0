"""What the upload page decides from a request's head: methods, length, when it started."""

import secrets
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from submissions.models import Event, Submission
from submissions.tests.helpers import answer, post_upload, upload_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_it_answers_405_to_other_methods(client, student, method):
    response = getattr(client, method)(upload_url(student))

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD", "POST"]
    assert not Event.objects.exists()


def test_it_still_answers_get_head_and_post(client, student):
    assert client.get(upload_url(student)).status_code == 200
    assert client.head(upload_url(student)).status_code == 200
    assert post_upload(client, student).status_code == 302


def post_started(client, student, elapsed):
    data = {"form_token": secrets.token_urlsafe(24), "file": answer()}
    return client.post(upload_url(student), data, headers={"X-Request-Elapsed": elapsed})


@pytest.fixture
def closed_ten_seconds_ago(student):
    now = timezone.now()
    student.exam.closes_at = now - timedelta(seconds=10)
    student.exam.save()
    with time_machine.travel(now, tick=False):
        yield student


def test_behind_the_proxy_an_upload_that_started_before_the_deadline_counts(
    client, closed_ten_seconds_ago, settings
):
    settings.BEHIND_BUFFERING_PROXY = True

    response = post_started(client, closed_ten_seconds_ago, "10.001")

    assert response.status_code == 302
    assert Submission.objects.count() == 1


def test_behind_the_proxy_an_upload_that_started_at_the_deadline_is_late(
    client, closed_ten_seconds_ago, settings
):
    settings.BEHIND_BUFFERING_PROXY = True

    response = post_started(client, closed_ten_seconds_ago, "10.000")

    assert response.status_code == 403
    assert not Submission.objects.exists()


@pytest.mark.parametrize("elapsed", ["", "soon", "nan", "inf", "-20", "1e400"])
def test_behind_the_proxy_a_header_that_is_no_time_counts_as_now(
    client, closed_ten_seconds_ago, settings, elapsed
):
    settings.BEHIND_BUFFERING_PROXY = True

    assert post_started(client, closed_ten_seconds_ago, elapsed).status_code == 403


def test_behind_the_proxy_a_negative_elapsed_counts_as_now_not_as_later(client, student, settings):
    """Ten seconds before the deadline, a header saying the upload starts 20 s from now is
    no time: the upload started now, on time."""
    settings.BEHIND_BUFFERING_PROXY = True
    now = timezone.now()
    student.exam.closes_at = now + timedelta(seconds=10)
    student.exam.save()

    with time_machine.travel(now, tick=False):
        response = post_started(client, student, "-20")

    assert response.status_code == 302
    assert Submission.objects.get().late_by is None


def test_without_the_proxy_the_header_is_ignored(client, closed_ten_seconds_ago, settings):
    settings.BEHIND_BUFFERING_PROXY = False

    assert post_started(client, closed_ten_seconds_ago, "3600").status_code == 403
    assert not Submission.objects.exists()

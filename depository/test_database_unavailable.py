"""A database connection lost in the middle of a request (a restart, a failover) gets a 503
asking to try again, never the 500 of a bug. For real, with gunicorn and PostgreSQL:
submissions/tests/test_database_drop.py; here the one moment is forced."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from submissions import views
from submissions.tests.helpers import upload_url

pytestmark = pytest.mark.django_db


def get_with_fault(student, error):
    """The fault: the student's lookup fails as a dropped connection makes it fail (the
    moment between two queries of one request cannot be hit for real in-process)."""
    client = Client(raise_request_exception=False)
    with mock.patch.object(views, "_student", side_effect=error):
        return client.get(upload_url(student))


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_database_connection_answers_503_with_when_to_retry(student, error):
    response = get_with_fault(student, error)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "We lost touch with our database for a moment" in page
    assert "open your personal link again" in page


def test_any_other_failure_is_still_a_500(student):
    response = get_with_fault(student, RuntimeError("a bug"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()

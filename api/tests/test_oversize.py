"""An oversized API upload is refused before its body is read, as on the page."""

import pytest

from submissions.models import Submission
from submissions.tests import test_oversize
from submissions.tests.test_oversize import KIB, post_body

pytestmark = pytest.mark.django_db

ROUTES = ["/api/v1/uploads/{code}", "/api/v0/submissions/{code}"]


@pytest.fixture(params=ROUTES)
def api_route(request, monkeypatch):
    """post_body() of the page's test, sent to an API route instead of the page."""
    monkeypatch.setattr(
        test_oversize, "upload_url", lambda student: request.param.format(code=student.upload_code)
    )
    return request.param


def test_a_declared_20_mb_body_is_refused_without_reading_it(student, api_route):
    status, read, body = post_body(student, 20 * 1024 * KIB)

    assert status == 413
    assert read == 0
    assert '"file_too_large"' in body


def test_a_body_past_the_limit_within_its_declared_length_is_cut_off(student, api_route):
    student.exam.max_upload_bytes = 100 * KIB
    student.exam.save()

    status, read, _ = post_body(student, 20 * 1024 * KIB, declared=160 * KIB)

    assert status == 413
    assert read <= 100 * KIB + 64 * KIB
    assert not Submission.objects.exists()


def test_a_body_without_content_length_gets_411_and_reads_nothing(student, api_route):
    status, read, body = post_body(student, 20 * 1024 * KIB, declare_length=False)

    assert status == 411
    assert read == 0
    assert not Submission.objects.exists()

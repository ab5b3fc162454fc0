"""An oversized API upload is refused before its body is read, as on the page."""

import pytest
from django.conf import settings

from submissions.models import Submission
from submissions.tests import test_oversize
from submissions.tests.test_oversize import KIB, envelope, new_boundary, post_body

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
    assert read <= 100 * KIB + settings.UPLOAD_BODY_OVERHEAD
    assert not Submission.objects.exists()


def test_a_body_without_content_length_gets_411_and_reads_nothing(student, api_route):
    status, read, body = post_body(student, 20 * 1024 * KIB, declare_length=False)

    assert status == 411
    assert read == 0
    assert not Submission.objects.exists()


def test_an_empty_content_length_is_no_length_411(student, api_route):
    status, read, _ = post_body(student, 10 * KIB, declared="")

    assert (status, read) == (411, 0)
    assert not Submission.objects.exists()


def test_a_declared_length_one_byte_past_the_limit_and_overhead_is_refused_unread(
    student, api_route
):
    limit = student.exam.max_upload_bytes

    status, read, _ = post_body(student, limit, declared=limit + settings.UPLOAD_BODY_OVERHEAD + 1)

    assert (status, read) == (413, 0)


def test_a_declared_length_of_exactly_the_limit_and_overhead_is_read(student, api_route):
    student.exam.max_upload_bytes = 100 * KIB
    student.exam.save()
    head, tail = envelope("x" * 32, new_boundary())

    status, read, _ = post_body(
        student, 100 * KIB + settings.UPLOAD_BODY_OVERHEAD - len(head) - len(tail)
    )

    # Read (then cut off by the upload handler), not refused on its declared length.
    assert 100 * KIB < read <= 100 * KIB + settings.UPLOAD_BODY_OVERHEAD
    assert status == 413

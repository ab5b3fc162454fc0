"""An exam's file size limit, at its boundary: the limit itself is allowed."""

import pytest

from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

LIMIT = 10_000


@pytest.fixture
def small_limit(student):
    student.exam.max_upload_bytes = LIMIT
    student.exam.save()
    return student


def test_a_file_of_exactly_the_limit_is_accepted(client, small_limit):
    response = post_upload(client, small_limit, b"%PDF-" + b"x" * (LIMIT - 5))

    assert response.status_code == 302
    assert Submission.objects.get().size == LIMIT


def test_a_file_one_byte_over_the_limit_is_refused(client, small_limit):
    response = post_upload(client, small_limit, b"%PDF-" + b"x" * (LIMIT - 4))

    assert response.status_code == 413
    assert "This file is 10,001 bytes; the limit is 10,000 bytes." in response.content.decode()
    assert not Submission.objects.exists()
    small_limit.refresh_from_db()
    assert small_limit.uploads_used == 0


def test_an_empty_file_is_refused_by_the_file_fields_own_check(client, small_limit):
    response = post_upload(client, small_limit, b"")

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "This file is empty (0 bytes). Please check you picked the right file."
    ]
    assert not Submission.objects.exists()

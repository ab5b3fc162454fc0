from datetime import UTC, datetime

import pytest

from students.tests.factories import ExamFactory
from students.tests.signin import sign_in_as_superuser
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


def test_the_admin_names_the_zone_of_every_time(client, student):
    post_upload(client, student)
    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(
        accepted_at=datetime(2030, 6, 1, 12, 0, 5, tzinfo=UTC)
    )
    ExamFactory(closes_at=datetime(2030, 6, 1, 12, tzinfo=UTC), title="Zoned")
    sign_in_as_superuser(client)

    listing = client.get("/admin/submissions/submission/").content.decode()
    change = client.get(f"/admin/submissions/submission/{submission.pk}/change/").content.decode()
    exams = client.get("/admin/students/exam/").content.decode()

    assert "1 Jun 2030, 12:00:05 UTC" in listing
    assert "1 Jun 2030, 12:00:05 UTC" in change
    assert "1 Jun 2030, 12:00:00 UTC" in exams

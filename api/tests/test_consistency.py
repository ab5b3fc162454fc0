"""/api/v1/ says one thing one way: one name for a download link and its lifetime wherever
they appear, one format for every time, and an exam says whether it is archived."""

import re
from datetime import UTC, datetime

import pytest

from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TIME_KEYS = re.compile(r"(_at|_until|deadline|^due|cut_off|last_upload|file_kept_until)$")


def times_in(value, key=""):
    """Every (key, value) of `value` whose key names a time, at any depth."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from times_in(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from times_in(inner, key)
    elif TIME_KEYS.search(key) and value is not None:
        yield key, value


def test_every_time_comes_back_in_one_format(api, client, exam, student):
    exam.closes_at = datetime(2030, 12, 8, 17, 0, 0, 123456, tzinfo=UTC)
    exam.time_zone = "Europe/Berlin"
    exam.save()
    post_upload(client, student)
    code = student.submissions.get().verification_code
    answers = [
        api.get(f"/api/v1/exams/{exam.pk}").json(),
        api.get(f"/api/v1/exams/{exam.pk}/students").json(),
        api.get(f"/api/v1/exams/{exam.pk}/roster").json(),
        client.get(f"/api/v1/uploads/{student.upload_code}").json(),
        client.get(f"/api/v1/verifications/{code}").json(),
    ]

    found = [pair for answer in answers for pair in times_in(answer)]

    assert len({key for key, _ in found}) >= 6
    assert [pair for pair in found if not TIME.match(str(pair[1]))] == []
    assert ("closes_at", "2030-12-08T17:00:00Z") in found
    assert ("due", "2030-12-08T17:00:00Z") in found  # the roster's local time, as UTC


def test_a_download_link_has_one_name_everywhere(api, client, exam, student):
    post_upload(client, student)
    submission = student.submissions.get()

    examiners = api.get(
        f"/api/v1/exams/{exam.pk}/students/{student.pk}/submissions/{submission.pk}/download-url"
    ).json()
    reviewers = client.get(f"/api/v1/verifications/{submission.verification_code}").json()

    for answer in (examiners, reviewers):
        assert answer["download_url"].startswith("http://testserver/")
        assert answer["download_url_expires_in_seconds"] == 600
        assert "url" not in answer and "expires_in_seconds" not in answer


def test_an_exam_says_whether_it_is_archived(api, exam):
    before = api.get(f"/api/v1/exams/{exam.pk}").json()
    exam.archive()
    after = api.get(f"/api/v1/exams/{exam.pk}").json()

    assert (before["is_archived"], before["archived_at"]) == (False, None)
    assert after["is_archived"] is True
    assert TIME.match(after["archived_at"])


def test_the_docs_name_the_fields(client):
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    assert {"download_url", "download_url_expires_in_seconds"} <= set(
        components["DownloadOut"]["properties"]
    )
    assert "is_archived" in components["ExamOut"]["properties"]

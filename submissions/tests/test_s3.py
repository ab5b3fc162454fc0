"""The upload and download flows against S3, through moto's server over HTTP."""

import hashlib
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.storage import storages

from conftest import s3_keys
from submissions import storage
from submissions.models import Submission
from submissions.tests.helpers import post_upload

ATTACHMENT = 'attachment; filename="answers.pdf"'

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_as_an_attachment_under_a_random_key(client, student, s3):
    content = b"%PDF-1.7 answers"

    post_upload(client, student, content, name="Résumé answers.pdf")

    submission = Submission.objects.get()
    assert s3_keys(s3) == [submission.file.name]
    assert "answers" not in submission.file.name.lower()
    obj = s3.get_object(Bucket=s3.bucket, Key=submission.file.name)
    assert obj["Body"].read() == content
    assert obj["ContentType"] == "application/pdf"
    assert (
        obj["ContentDisposition"] == "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20answers.pdf"
    )


def test_a_new_upload_deletes_the_previous_object(client, student, s3):
    post_upload(client, student, b"first")
    post_upload(client, student, b"second")

    current = Submission.objects.current().get()
    assert s3_keys(s3) == [current.file.name]
    assert Submission.objects.filter(file_deleted_at__isnull=False).count() == 1


def test_the_sixth_upload_stores_nothing(client, student, s3):
    for n in range(5):
        post_upload(client, student, f"v{n}".encode())

    response = post_upload(client, student, b"six")

    assert response.status_code == 403
    assert len(s3_keys(s3)) == 1


def test_download_redirects_to_a_presigned_url_that_expires_in_ten_minutes(client, student, s3):
    post_upload(client, student, b"%PDF-1.7 answers", name="answers.pdf")
    submission = Submission.objects.get()

    response = client.get(f"/verify/{submission.verification_code}/download/")

    assert response.status_code == 302
    url = response["Location"]
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["600"]
    assert query["response-content-disposition"] == [ATTACHMENT]
    with urllib.request.urlopen(url, timeout=5) as fetched:  # noqa: S310 (loopback moto)
        assert fetched.read() == b"%PDF-1.7 answers"
        assert fetched.headers["Content-Disposition"] == ATTACHMENT


def test_the_file_goes_to_storage_in_one_signed_put_without_hashing_it_again(client, student, s3):
    """One PutObject per upload. Its headers are signed; its body is sent unsigned
    (settings.S3_CLIENT_CONFIG), since botocore would otherwise read and hash the whole file
    a second time. The stored bytes are still exactly the upload's."""
    from django.core.files.storage import default_storage

    sent = []

    def capture(request, **kwargs):
        sent.append((request.method, dict(request.headers)))

    events = default_storage.connection.meta.client.meta.events
    events.register("before-send.s3", capture)
    try:
        post_upload(client, student, b"%PDF-1.7 " + bytes(range(256)) * 64)
    finally:
        events.unregister("before-send.s3", capture)

    assert [method for method, _ in sent] == ["PUT"]
    headers = sent[0][1]
    assert headers["X-Amz-Content-SHA256"] == b"UNSIGNED-PAYLOAD"
    assert headers["Authorization"].startswith(b"AWS4-HMAC-SHA256 Credential=testing/")
    submission = Submission.objects.get()
    stored = s3.get_object(Bucket=s3.bucket, Key=submission.file.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == submission.sha256
    assert stored == b"%PDF-1.7 " + bytes(range(256)) * 64


def test_connect_builds_the_client_that_uploads_then_use(client, student, s3):
    """gunicorn.conf.py calls it as each worker starts (depository.test_serve checks that);
    the upload finds the client built."""
    assert storage.connect() is not None
    built = storages["default"]._shared_connection
    assert built is not None

    post_upload(client, student, b"answers")

    assert storages["default"].connection is built
    assert s3_keys(s3) == [Submission.objects.get().file.name]


def test_connect_leaves_any_other_storage_alone():
    assert storage.connect() is None
    assert not hasattr(storages["default"], "connection")

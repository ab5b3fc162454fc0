"""Storage and database faults lose nothing."""

import socket
import threading
from unittest import mock

import boto3
import pytest
from django.db import OperationalError
from moto.server import ThreadedMotoServer

from conftest import s3_keys
from depository.test_configuration import run_python
from submissions import storage
from submissions.models import Submission
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_moto(settings, s3):
    """A moto server of this test's own, that the test can stop: the storage outage."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": endpoint}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.bucket = s3.bucket
    yield server, client, (host, port)
    server.stop()


def test_an_unreachable_storage_loses_nothing(client, student, own_moto):
    server, s3, (host, port) = own_moto
    post_upload(client, student, b"earlier answer")
    earlier = Submission.objects.get()
    server.stop()

    response = post_upload(client, student, b"new answer")

    page = response.content.decode()
    assert response.status_code == 503
    assert "storage is unavailable right now" in page
    assert "Nothing was used up and your earlier submission is intact" in page
    student.refresh_from_db()
    assert student.uploads_used == 1
    assert list(Submission.objects.all()) == [earlier]
    assert Submission.objects.current().get() == earlier
    restarted = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    restarted.start()
    try:
        assert s3_keys(s3) == [earlier.file.name]
        body = s3.get_object(Bucket=s3.bucket, Key=earlier.file.name)["Body"].read()
        assert body == b"earlier answer"
    finally:
        restarted.stop()


STORE_IN_A_SUBPROCESS = (
    "import time, django; django.setup();"
    "from django.conf import settings;"
    "from django.core.files.base import ContentFile;"
    "from submissions import storage;"
    "config = settings.S3_CLIENT_CONFIG;"
    "print(settings.S3_ATTEMPTS, config.connect_timeout, config.read_timeout);"
    "start = time.monotonic()\n"
    "try:\n"
    "    storage.store('submissions/x', ContentFile(b'x', name='a'), 'a', 'text/plain')\n"
    "except storage.StorageUnavailable:\n"
    "    print('unavailable', time.monotonic() - start)\n"
)


def store_in_production_settings(endpoint, **env):
    """Store one object with the production storage settings, read from the environment
    in a subprocess; returns (attempts, connect and read timeouts), and the seconds it took
    to give up, or None."""
    result = run_python(
        STORE_IN_A_SUBPROCESS,
        AWS_STORAGE_BUCKET_NAME="answers",
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        **env,
    )
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    attempts, connect, read = lines[0].split()
    gave_up = float(lines[1].split()[1]) if lines[1:] and "unavailable" in lines[1] else None
    return (int(attempts), float(connect), float(read)), gave_up


def test_a_storage_that_never_answers_is_given_up_on_after_two_attempts(blackhole):
    """A store that accepts connections and never answers costs each attempt its read
    timeout (1 s here): two attempts, then the student hears of it."""
    endpoint, accepted = blackhole
    (attempts, _, _), gave_up = store_in_production_settings(endpoint, AWS_S3_READ_TIMEOUT="1")

    assert attempts == 2
    assert gave_up is not None
    assert len(accepted) == attempts  # one connection per attempt, no hidden retries


def test_the_default_timeouts_bound_a_hung_storage_to_16_seconds():
    """The bound the README states: 2 attempts x (3 s to connect + 5 s to answer)."""
    result = run_python(
        "import django; django.setup(); from django.conf import settings;"
        "config = settings.S3_CLIENT_CONFIG;"
        "print(settings.S3_ATTEMPTS, config.connect_timeout, config.read_timeout)"
    )

    attempts, connect, read = result.stdout.split()
    assert int(attempts) * (float(connect) + float(read)) == 16


@pytest.fixture
def blackhole():
    """A loopback server that accepts connections and never answers; yields its URL and
    the connections it accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_database_failure_after_storing_deletes_the_new_object(client, student, s3):
    post_upload(client, student, b"earlier answer")
    earlier = Submission.objects.get()

    # The fault: the database fails between the store and the insert (a dropped
    # connection at exactly that moment cannot be caused for real).
    with mock.patch.object(
        Submission.objects, "record", side_effect=OperationalError("connection lost")
    ):
        response = post_upload(client, student, b"new answer")

    assert response.status_code == 503
    assert "We could not record your upload" in response.content.decode()
    assert s3_keys(s3) == [earlier.file.name]
    assert Submission.objects.current().get() == earlier
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_a_failed_delete_of_the_old_file_keeps_the_new_submission(client, student, s3):
    post_upload(client, student, b"earlier answer")
    earlier = Submission.objects.get()

    # The fault: storage refuses the delete of the superseded object (a store that
    # accepts writes but fails deletes cannot be arranged with moto).
    with mock.patch.object(
        storage, "delete", side_effect=storage.StorageUnavailable("delete refused")
    ):
        response = post_upload(client, student, b"new answer")

    assert response.status_code == 302
    current = Submission.objects.current().get()
    assert current != earlier
    earlier.refresh_from_db()
    assert earlier.superseded_at is not None and earlier.file_deleted_at is None
    assert sorted(s3_keys(s3)) == sorted([earlier.file.name, current.file.name])
    assert client.get(response["Location"]).status_code == 200
    # The earlier object is still in storage, but nothing opens it: not the student's old
    # receipt, not the script API's download by its verification code.
    code = earlier.verification_code
    assert client.get(f"/u/{student.upload_code}/receipt/{code}/file/").status_code == 410
    assert client.get(f"/api/v0/verifications/{code}/download_url").status_code == 404
    current_url = f"/api/v0/verifications/{current.verification_code}/download_url"
    assert client.get(current_url).status_code == 200

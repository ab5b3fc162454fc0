import os

import boto3
import pytest
from django.db import connection
from moto.server import ThreadedMotoServer

from students.tests.factories import ExamFactory, StudentFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip on SQLite locally, with a reason; in CI they must run."""
    if connection.vendor == "postgresql":
        return
    if IN_CI:
        raise pytest.UsageError(
            "CI must run on PostgreSQL: set DATABASE_URL (see .ci/run). Refusing to skip tests."
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    """Each test keeps its files in its own folder, never in var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def private_cache(settings, request):
    """Each test counts wrong codes in a cache of its own, so one test's misses never
    throttle another (the configured cache may be a Redis shared across runs)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(scope="session")
def moto_server():
    """moto's S3 server in a thread, on a free loopback port, spoken to over HTTP."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield server, f"http://{host}:{port}"
    server.stop()


S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def s3(settings, moto_server, request):
    """Switch file storage to S3 through moto's server; yields a boto3 client and the bucket."""
    from botocore.config import Config

    _, endpoint = moto_server
    bucket = f"answers-{request.node.name.lower().replace('_', '-')[:40]}-{os.getpid()}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "submissions.storage.SubmissionS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "file_overwrite": False,
                "default_acl": None,
                "querystring_expire": 600,
                # Production's client, with shorter waits for a test.
                "client_config": settings.S3_CLIENT_CONFIG.merge(
                    Config(
                        connect_timeout=2,
                        read_timeout=5,
                        retries={"max_attempts": 1, "mode": "standard"},
                    )
                ),
            },
        },
    }
    client.bucket = bucket
    yield client


def s3_keys(client):
    listing = client.list_objects_v2(Bucket=client.bucket)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


@pytest.fixture
def examiner(db):
    return UserFactory()


@pytest.fixture
def examiner_client(client, examiner):
    client.force_login(examiner)
    return client


@pytest.fixture
def exam(examiner):
    return ExamFactory(owner=examiner)


@pytest.fixture
def student(exam):
    return StudentFactory(exam=exam)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port, and the app's mail pointed at it. Yields
    its inbox (students.tests.smtp.Inbox)."""
    from students.tests.smtp import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_RETRY_DELAYS = [0, 0]
    settings.DEFAULT_FROM_EMAIL = "Exam Depository <noreply@depository.test>"
    settings.SITE_URL = "https://depository.test"
    yield server.inbox
    server.stop()

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

import boto3
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation
from moto.server import ThreadedMotoServer

from students.tests.factories import ExamFactory, StudentFactory, UserFactory

ROOT = Path(__file__).resolve().parent
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
def source_language():
    """Each test starts in English, the source language: a request in German leaves German
    active on its thread (LocaleMiddleware activates a language and never undoes it)."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Passwords made in tests are hashed with MD5, as Django's testing docs advise: PBKDF2's
    million rounds cost half a second per factory user. Production's hashers stay listed,
    so a test whose user logs in to another process can still hash with them."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *django_settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def private_counter_store(settings):
    """Each test counts wrong codes in a store of its own: the table, whose rows go with the
    test's transaction (or the flush after a transactional test), never a Redis that runs
    share. Tests of the Redis store give themselves keys of their own (`redis_store`)."""
    settings.REDIS_URL = ""


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test has a cache of its own, in memory, and the sessions and logins of a process
    without a shared cache; tests of the shared one ask for it (`redis_cache`)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.CACHE_LOGINS = False


def _redis(reason):
    """A client of the Redis that REDIS_URL names (CI sets it); locally the test skips
    without it."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if IN_CI:
            pytest.fail(f"CI must test {reason} on Redis: set REDIS_URL (see .ci/run).")
        pytest.skip("needs Redis: set REDIS_URL to run it")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    client.ping()  # fails here, loudly, when Redis cannot be reached
    client.url = url
    return client


def _delete_keys(client, prefix):
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def redis_store(settings):
    """The throttle's counters in Redis, with keys of this test's own."""
    client = _redis("the throttle")
    settings.REDIS_URL = client.url
    settings.CODE_MISS_KEY_PREFIX = f"test-{uuid.uuid4().hex}:code-misses"
    client.prefix = settings.CODE_MISS_KEY_PREFIX
    yield client
    _delete_keys(client, client.prefix)


@pytest.fixture
def redis_cache(settings):
    """The cache as production has it with REDIS_URL set, with keys of this test's own:
    Redis, holding the sessions (read through) and the logins."""
    client = _redis("the shared cache")
    client.prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": client.url,
            "KEY_PREFIX": client.prefix,
        }
    }
    settings.SESSION_ENGINE = "depository.sessions"
    settings.CACHE_LOGINS = True
    yield client
    _delete_keys(client, client.prefix)


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


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Static files collected once, as the Dockerfile does: DEBUG off serves the manifest."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": str(root)},
        check=True,
        timeout=120,
    )
    return root


def tests_database_url():
    """The URL of the PostgreSQL database the tests run on, for a process of their own."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def migrated_database_url(db, tmp_path):
    """A migrated database another process can use: the test database on PostgreSQL (its
    tables are committed), else a fresh SQLite file."""
    if connection.vendor == "postgresql":
        return tests_database_url()
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=300,
    )
    return url


class AppServers:
    """gunicorn processes serving the test database as production serves it: gunicorn.conf.py,
    DEBUG off, psycopg's pool in every worker. Their connections carry an application name of
    their own, so a test can terminate exactly those."""

    def __init__(self, static_root, media_root):
        self.static_root = static_root
        self.media_root = media_root
        self.application_name = f"depository-test-{uuid.uuid4().hex[:12]}"
        self.procs = []

    def start(self, servers=1, workers=2, threads=32, **environment):
        """Start `servers` gunicorn masters at once; returns their base URLs once they answer."""
        started = [self._start(workers, threads, environment) for _ in range(servers)]
        return [self._wait_until_it_answers(proc, log, workers) for proc, log in started]

    def _start(self, workers, threads, environment):
        clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG", "CI"}}
        env = {
            **clean,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"{tests_database_url()}?application_name={self.application_name}",
            "STATIC_ROOT": str(self.static_root),
            "MEDIA_ROOT": str(self.media_root),
            "GUNICORN_BIND": "127.0.0.1:0",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "LOG_LEVEL": "WARNING",
            **environment,
        }
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        proc = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
            [str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py"]
            # No control socket: its default path in $HOME would be shared by every server.
            + ["--access-logfile", "/dev/null", "--no-control-socket", "depository.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((proc, log))
        return proc, log

    def _wait_until_it_answers(self, proc, log, workers):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = self.log_of(log)
            booted = text.count("Booting worker")
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if listening and booted >= workers:
                url = f"http://127.0.0.1:{listening.group(1)}"
                try:  # a booted worker may still be importing the app on a loaded machine
                    with urlopen(f"{url}/healthz", timeout=10) as response:  # noqa: S310 (loopback)
                        assert response.status == 200
                    return url
                except OSError:
                    time.sleep(0.5)
                    continue
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start:\n{self.log_of(log)}")

    @staticmethod
    def log_of(log):
        log.seek(0)
        return log.read().decode(errors="replace")

    def logs(self):
        return "\n".join(self.log_of(log) for _, log in self.procs)

    def stop(self):
        for proc, log in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
            log.close()


@pytest.fixture
def app_servers(transactional_db, collected_static, tmp_path):
    """Start gunicorn servers against the test database (committed rows, so they see them)."""
    servers = AppServers(collected_static, tmp_path / "media")
    yield servers
    servers.stop()


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


# The accounts the test OpenID Connect provider knows, by login name: their claims.
OIDC_ACCOUNTS = {
    "ada": {"email": "ada@uni.example", "email_verified": True, "name": "Ada Lovelace"},
    "eve": {"email": "eve@elsewhere.example", "email_verified": True},
    "gus": {"email": "gus@partner.example", "email_verified": True, "groups": ["exam-staff"]},
    "lin": {"email": "lin@old.example", "email_verified": True},
    "lin-unverified": {"email": "lin@old.example", "email_verified": False},
    "una": {"email": "una@uni.example", "email_verified": False},
}
OIDC_CALLBACK = "http://testserver/accounts/oidc/uni/login/callback/"


def _oidc_provider():
    from students.tests.oidc import OIDCProvider, ProviderMissing

    try:
        return OIDCProvider(OIDC_ACCOUNTS, [OIDC_CALLBACK])
    except ProviderMissing as missing:
        if IN_CI:
            pytest.fail(f"CI must sign in through a real provider: {missing}", pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def oidc_provider_process():
    """A real OpenID Connect provider (node's oidc-provider) on a free loopback port, for
    the whole run, like moto's server."""
    provider = _oidc_provider()
    yield provider
    provider.stop()


def configure_oidc(settings, issuer):
    from students.tests.oidc import CLIENT_ID, CLIENT_SECRET

    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "uni",
                    "name": "University login",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {
                        "server_url": issuer,
                        "scope": ["openid", "email", "profile", "groups"],
                    },
                }
            ],
        },
    }
    settings.EXAMINER_EMAIL_DOMAINS = ["uni.example"]
    settings.EXAMINER_GROUPS = ["exam-staff"]


@pytest.fixture
def oidc(settings, oidc_provider_process):
    """The app's single sign-on pointed at the test provider ("University login"), with
    uni.example and the group exam-staff allowed to become examiners."""
    configure_oidc(settings, oidc_provider_process.issuer)
    return oidc_provider_process

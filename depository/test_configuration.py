import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(code, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME"}
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "depository.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_served_app_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_python("import depository.wsgi")

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_the_served_app_starts_with_a_secret_key():
    result = run_python("import depository.wsgi", SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr


def test_an_empty_email_url_is_unset_and_mail_is_printed():
    result = run_python(
        "import depository.wsgi; from django.conf import settings; print(settings.EMAIL_BACKEND)",
        SECRET_KEY="x" * 50,
        EMAIL_URL="",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_an_email_url_that_is_no_mail_url_stops_with_a_sentence_naming_it():
    result = run_python("import depository.wsgi", SECRET_KEY="x" * 50, EMAIL_URL="mail.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL is not a mail server URL: use smtp+tls://" in (
        result.stderr
    )


def test_defaults_are_sqlite_and_local_files_with_debug_off():
    result = run_python(
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.STORAGES['default']['BACKEND'])"
    )

    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "django.core.files.storage.FileSystemStorage",
    ]


def test_the_environment_switches_on_postgres_and_s3():
    result = run_python(
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "o = s.STORAGES['default']['OPTIONS'];"
        "print(d['ENGINE'], 'pool' in d['OPTIONS'], s.STORAGES['default']['BACKEND'],"
        " o['region_name'], o['file_overwrite'], o['default_acl'],"
        " o['client_config'].request_checksum_calculation, o['client_config'].signature_version)",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        AWS_STORAGE_BUCKET_NAME="answers",
        AWS_S3_ENDPOINT_URL="https://example.r2.cloudflarestorage.com",
    )

    assert result.stdout.split() == [
        "depository.postgresql",  # Django's, with a pool that checks connections
        "True",
        "submissions.storage.SubmissionS3Storage",
        "auto",
        "False",
        "None",
        "when_required",
        "s3v4",
    ], result.stderr


@pytest.mark.django_db
def test_the_health_check_is_cheap(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200

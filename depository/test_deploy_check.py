import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_environment():
    """The environment fly.toml gives the app, plus the secrets it sets with `fly secrets`."""
    fly_env = tomllib.loads((ROOT / "fly.toml").read_text())["env"]
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "SECRET_KEY", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"}
    }
    return {
        **clean,
        **fly_env,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": "smtp+tls://apikey:secret@smtp.example.com:587",
    }


def test_check_deploy_reports_nothing_with_production_settings():
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_while_mail_is_only_printed():
    environment = production_environment()
    del environment["EMAIL_URL"]

    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "submissions.W002" in result.stdout + result.stderr
    assert "EMAIL_URL is not set" in result.stdout + result.stderr


def test_production_sits_behind_fly_and_trusts_its_client_ip_header():
    assert production_environment()["BEHIND_FLY_PROXY"] == "true"


def check_deploy_with_storage(endpoint):
    environment = {
        **production_environment(),
        "AWS_STORAGE_BUCKET_NAME": "answers",
        "AWS_S3_ENDPOINT_URL": endpoint,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_refuses_a_plain_http_storage_endpoint():
    """Files go to storage with an unsigned body, so only TLS protects them on the way."""
    result = check_deploy_with_storage("http://storage.example.com")

    assert result.returncode == 1
    assert "submissions.E001" in result.stderr
    assert "AWS_S3_ENDPOINT_URL is plain HTTP (http://storage.example.com)" in result.stderr


def test_check_deploy_accepts_an_https_storage_endpoint():
    result = check_deploy_with_storage("https://account.r2.cloudflarestorage.com")

    assert result.returncode == 0, result.stdout + result.stderr

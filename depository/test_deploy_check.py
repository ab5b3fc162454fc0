import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


FLY = tomllib.loads((ROOT / "fly.toml").read_text())
EU_R2 = "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com"


def production_environment():
    """The environment fly.toml gives the app, plus the secrets it sets with `fly secrets`."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "SECRET_KEY", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"}
        and not name.startswith("AWS_")
    }
    return {
        **clean,
        **FLY["env"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AWS_STORAGE_BUCKET_NAME": "answers",
        "AWS_S3_ENDPOINT_URL": EU_R2,
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


def test_production_sits_behind_fly_and_trusts_its_client_ip_header():
    assert production_environment()["BEHIND_FLY_PROXY"] == "true"


def check_deploy_with_storage(endpoint, **variables):
    environment = {
        **production_environment(),
        "AWS_STORAGE_BUCKET_NAME": "answers",
        "AWS_S3_ENDPOINT_URL": endpoint,
        **variables,
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
    result = check_deploy_with_storage(
        "https://account.r2.cloudflarestorage.com", DATA_RESIDENCY=""
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_promises_eu_residency_and_checks_it_before_each_release():
    release = FLY["deploy"]["release_command"]

    assert FLY["env"]["DATA_RESIDENCY"] == "eu"
    assert "manage.py check --deploy &&" in release
    assert release.index("check --deploy") < release.index("migrate")


def test_fly_runs_the_app_in_an_eu_region():
    """Amsterdam: the database and the app's memory stay in the EU too (README)."""
    assert FLY["primary_region"] in {"ams", "arn", "cdg", "fra", "mad", "otp", "waw"}


def test_check_deploy_under_eu_residency_refuses_an_r2_bucket_without_the_eu_jurisdiction():
    result = check_deploy_with_storage("https://0123456789abcdef.r2.cloudflarestorage.com")

    assert result.returncode == 1
    assert "submissions.E003" in result.stderr
    assert (
        "DATA_RESIDENCY is 'eu', but answer files go to R2 endpoint "
        "0123456789abcdef.r2.cloudflarestorage.com, without the EU jurisdiction"
    ) in result.stderr


def test_check_deploy_under_eu_residency_accepts_an_eu_jurisdiction_r2_bucket():
    result = check_deploy_with_storage(EU_R2)

    assert result.returncode == 0, result.stdout + result.stderr

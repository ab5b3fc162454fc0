import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from submissions import cors, signing
from submissions.tests.storage_servers import FakeR2

ROOT = Path(__file__).resolve().parent.parent
FLY = tomllib.loads((ROOT / "fly.toml").read_text())
EU_R2 = "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com"

LEFT_OUT = {
    "DEBUG",
    "SECRET_KEY",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "REDIS_URL",
    "RECEIPT_SIGNING_KEY",
    "RECEIPT_PUBLIC_KEYS",
}


def production_environment(database_url="sqlite:///unused.sqlite3", r2=None):
    """The environment fly.toml gives the app, plus the secrets it sets with `fly secrets`
    (the database: a migrated one of the tests'; the bucket: an EU-jurisdiction R2 one, which
    `r2` answers for)."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in LEFT_OUT and not name.startswith("AWS_")
    }
    return {
        **clean,
        **(r2.environment if r2 else {}),
        **FLY["env"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "RECEIPT_SIGNING_KEY": signing.new_private_key(),
        "DATABASE_URL": database_url,
        "AWS_STORAGE_BUCKET_NAME": "answers",
        "AWS_S3_ENDPOINT_URL": EU_R2,
        "EMAIL_URL": "smtp+tls://apikey:secret@smtp.example.com:587",
    }


@pytest.fixture(scope="module")
def r2(tmp_path_factory):
    """Every R2 endpoint the tests name, answered by moto: its bucket `answers` lets a page
    at fly.toml's SITE_URL upload, as `manage.py storage_cors --apply` leaves a bucket."""
    r2 = FakeR2(tmp_path_factory.mktemp("r2"))
    client = r2.client()
    client.create_bucket(Bucket="answers")
    rule = cors.upload_rule(cors.site_origin(FLY["env"]["SITE_URL"]))
    client.put_bucket_cors(Bucket="answers", CORSConfiguration={"CORSRules": [rule]})
    yield r2
    r2.stop()


def manage(r2, database_url, *arguments, **environment):
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**production_environment(database_url, r2), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def check_deploy(r2):
    def check(database_url, **environment):
        return manage(r2, database_url, "check", "--deploy", "--fail-level", "DEBUG", **environment)

    return check


def test_check_deploy_reports_nothing_with_production_settings(migrated_database_url, check_deploy):
    result = check_deploy(migrated_database_url)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("email_url", ["consolemail://", ""])
def test_check_deploy_warns_while_mail_is_only_printed(
    migrated_database_url, email_url, check_deploy
):
    result = check_deploy(migrated_database_url, EMAIL_URL=email_url)

    assert "submissions.W002" in result.stdout + result.stderr
    assert "EMAIL_URL is not set" in result.stdout + result.stderr


def test_production_sits_behind_fly_and_trusts_its_client_ip_header():
    assert production_environment()["BEHIND_FLY_PROXY"] == "true"


def test_check_deploy_refuses_a_plain_http_storage_endpoint(migrated_database_url, check_deploy):
    """Files go to storage with an unsigned body, so only TLS protects them on the way."""
    result = check_deploy(migrated_database_url, AWS_S3_ENDPOINT_URL="http://storage.example.com")

    assert result.returncode == 1
    assert "submissions.E001" in result.stderr
    assert "AWS_S3_ENDPOINT_URL is plain HTTP (http://storage.example.com)" in result.stderr


def test_check_deploy_accepts_an_https_storage_endpoint(migrated_database_url, check_deploy):
    result = check_deploy(
        migrated_database_url,
        AWS_S3_ENDPOINT_URL="https://account.r2.cloudflarestorage.com",
        DATA_RESIDENCY="",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_when_the_throttle_table_is_missing(tmp_path, check_deploy):
    result = check_deploy(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")

    assert result.returncode == 1
    assert "submissions.E002" in result.stderr
    assert (
        "The wrong-code throttle cannot read or write the table submissions_codemisscount"
        in result.stderr
    )


def test_check_deploy_fails_when_the_throttles_redis_is_down(migrated_database_url, check_deploy):
    result = check_deploy(migrated_database_url, REDIS_URL="redis://127.0.0.1:1/0")

    assert result.returncode == 1
    assert "submissions.E002" in result.stderr
    assert "cannot read or write Redis at 127.0.0.1:1/0" in result.stderr


def test_check_deploy_accepts_a_working_redis(migrated_database_url, redis_store, check_deploy):
    result = check_deploy(migrated_database_url, REDIS_URL=os.environ["REDIS_URL"])

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_promises_eu_residency_and_checks_it_at_each_release():
    """migrate first (the throttle's table must exist for the check), then check --deploy:
    a bucket outside the EU fails the release, so the new version never starts."""
    release = FLY["deploy"]["release_command"]

    assert FLY["env"]["DATA_RESIDENCY"] == "eu"
    assert "migrate --noinput && python manage.py check --deploy" in release


def test_fly_runs_the_app_in_an_eu_region():
    """Amsterdam: the database and the app's memory stay in the EU too (README)."""
    assert FLY["primary_region"] in {"ams", "arn", "cdg", "fra", "mad", "otp", "waw"}


def test_check_deploy_under_eu_residency_refuses_an_r2_bucket_without_the_eu_jurisdiction(
    migrated_database_url, check_deploy
):
    result = check_deploy(
        migrated_database_url,
        AWS_S3_ENDPOINT_URL="https://0123456789abcdef.r2.cloudflarestorage.com",
    )

    assert result.returncode == 1
    assert "submissions.E004" in result.stderr
    assert (
        "DATA_RESIDENCY is 'eu', but answer files go to R2 endpoint "
        "0123456789abcdef.r2.cloudflarestorage.com, without the EU jurisdiction"
    ) in result.stderr


def test_check_deploy_under_eu_residency_accepts_an_eu_jurisdiction_r2_bucket(
    migrated_database_url, check_deploy
):
    result = check_deploy(migrated_database_url, AWS_S3_ENDPOINT_URL=EU_R2)

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_a_receipt_signing_key(migrated_database_url, check_deploy):
    result = check_deploy(migrated_database_url, RECEIPT_SIGNING_KEY="")

    assert result.returncode == 1
    assert "submissions.E005" in result.stderr
    assert "RECEIPT_SIGNING_KEY is not set" in result.stderr


def test_check_deploy_fails_on_a_retired_key_that_is_not_a_key(migrated_database_url, check_deploy):
    result = check_deploy(migrated_database_url, RECEIPT_PUBLIC_KEYS="not-a-key")

    assert result.returncode == 1
    assert "submissions.E006" in result.stderr
    assert "A key in RECEIPT_PUBLIC_KEYS is not a key" in result.stderr


def test_check_deploy_fails_until_the_bucket_lets_browsers_upload(migrated_database_url, r2):
    """The release's check refuses a bucket without the rule, and `storage_cors --apply`
    (with credentials that may change the bucket's settings) is what makes it pass."""
    r2.client().create_bucket(Bucket="answers-new")
    bucket = {"AWS_STORAGE_BUCKET_NAME": "answers-new"}
    check = ["check", "--deploy", "--fail-level", "DEBUG"]

    before = manage(r2, migrated_database_url, *check, **bucket)
    applied = manage(
        r2,
        migrated_database_url,
        "storage_cors",
        "--apply",
        AWS_ACCESS_KEY_ID="admin",
        AWS_SECRET_ACCESS_KEY="admin",
        **bucket,
    )
    after = manage(r2, migrated_database_url, *check, **bucket)

    assert before.returncode == 1
    assert (
        "submissions.E007) The bucket's CORS does not let a page at "
        "https://exam-depository.fly.dev upload to it: it does not allow requests from "
        "https://exam-depository.fly.dev."
    ) in before.stderr
    assert "HINT: Run `manage.py storage_cors --apply`" in before.stderr
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Set the CORS rule for uploads from https://exam-depository.fly.dev" in applied.stdout
    assert after.returncode == 0, after.stdout + after.stderr


def test_check_deploy_fails_when_storage_cannot_be_reached(migrated_database_url, check_deploy):
    result = check_deploy(
        migrated_database_url,
        AWS_S3_ENDPOINT_URL="https://storage.example.com",
        DATA_RESIDENCY="",
    )

    assert result.returncode == 1
    assert (
        "submissions.E008) Storage could not be asked whether browsers may upload to it: "
        "storage.example.com:"
    ) in result.stderr

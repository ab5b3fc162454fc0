"""The app as production serves it (gunicorn with gunicorn.conf.py, DEBUG off, S3 through
moto) walks the smoke test's whole journey; then its captured output is searched for every
code and signed URL it handed out."""

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import boto3
import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from conftest import S3_CREDENTIALS
from students import codes as upload_codes
from students.tests.factories import UserFactory
from submissions import codes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"  # the factories' password
# What makes a presigned URL work (the other parameters are times and names).
SIGNED_URL_SECRETS = {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token"}


def load_smoke():
    spec = importlib.util.spec_from_file_location("smoke", ROOT / ".ci" / "smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


smoke = load_smoke()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served_app(log_path, **environment):
    """gunicorn with production's configuration on a free loopback port; its stdout and
    stderr go to `log_path`."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_JSON"}},
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_COOKIES": "false",  # plain HTTP on loopback
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "DATABASE_POOL_MIN": "1",
        **environment,
    }
    subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    with open(log_path, "wb") as log:
        server = subprocess.Popen(  # noqa: S603 (gunicorn from our own environment)
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
            + ["depository.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_code_token_or_signed_url_reaches_a_log_line(moto_server, tmp_path):
    _, endpoint = moto_server
    bucket = f"journey-logs-{os.getpid()}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS
    ).create_bucket(Bucket=bucket)
    examiner = UserFactory()
    # The server in its own process knows production's hashers only, not the tests' MD5.
    examiner.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    examiner.save(update_fields=["password"])
    database = connection.settings_dict
    log_path = tmp_path / "served.log"

    with served_app(
        log_path,
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID=S3_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=S3_CREDENTIALS["aws_secret_access_key"],
    ) as base_url:
        seen = smoke.journey(base_url, examiner.username, PASSWORD)
        upload_path = urllib.parse.urlsplit(seen["upload_url"]).path
        # A refused upload, a wrong upload code and a wrong verification code: Django's
        # own request logger writes a line for each 4xx, path and all.
        student = smoke.Browser(base_url)
        one_byte_over = b"%PDF-1.7\n" + bytes(3 * 1024 * 1024 - 8)
        student.submit(
            upload_path,
            "file",
            {},
            files={"file": ("answer.pdf", one_byte_over, "application/pdf")},
            expect=413,
        )
        wrong_upload_code = upload_codes.new_upload_code()
        student.get(f"/u/{wrong_upload_code}/", expect=404)
        wrong_verification_code = codes.display(codes.new_verification_code())
        student.get(f"/verify/?code={wrong_verification_code}", expect=404)
        student.get(f"/verify/{wrong_verification_code}/download/", expect=404)

    output = log_path.read_text()
    upload_code = upload_path.strip("/").split("/")[-1]
    verification_code = seen["verification_code"]
    secrets_handed_out = {
        "upload code": upload_code,
        "verification code": verification_code,
        "verification code as shown": codes.display(codes.normalize(verification_code)),
        "wrong upload code": wrong_upload_code,
        "wrong verification code": wrong_verification_code,
        "wrong verification code, stored form": codes.normalize(wrong_verification_code),
    }
    for number, url in enumerate(seen["download_urls"]):
        for name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query):
            if name in SIGNED_URL_SECRETS:
                secrets_handed_out[f"download {number} {name}"] = value
        if "/files/" in url:  # a local download link's token
            secrets_handed_out[f"download {number} token"] = url.rstrip("/").split("/")[-1]
    assert any("X-Amz-Signature" in name for name in secrets_handed_out), seen

    leaks = [name for name, value in secrets_handed_out.items() if value in output]
    assert leaks == [], f"{leaks} found in the logs:\n{output}"

    app_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    routes = [line["route"] for line in app_lines if line.get("message") == "request"]
    for route in (
        "submissions:upload",
        "submissions:receipt",
        "submissions:verify",
        "submissions:download",
        "students:submission_download",
    ):
        assert route in routes
    assert all(not re.search(r"\"/(u|verify|files)/\S", line) for line in output.splitlines())
    outcomes = [line for line in app_lines if line["logger"] == "submissions.uploads"]
    assert [line["outcome"] for line in outcomes] == ["accepted", "refused"]
    assert "the limit is 3,145,728 bytes" in outcomes[1]["reason"]

"""`manage.py verify_receipt RECEIPT [FILE]`: a receipt checked with the published keys alone,
in a process of its own whose database cannot be reached."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from conftest import ROOT
from submissions import receipts, signing
from submissions.tests.helpers import post_upload

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.7 the answers of a careful student"
# The discard port: nothing listens there, so any query would fail the command.
NO_DATABASE = "postgres://postgres@127.0.0.1:9/gone"


def verify_receipt(*arguments, **environment):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RECEIPT_", "DATABASE_"))}
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "verify_receipt", *map(str, arguments)],
        cwd=ROOT,
        env={
            **clean,
            "DATABASE_URL": NO_DATABASE,
            "DATABASE_POOL_TIMEOUT": "2",
            "RECEIPT_SIGNING_KEY": settings.RECEIPT_SIGNING_KEY,
            "SITE_URL": settings.SITE_URL,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def saved(client, student, tmp_path):
    """A real upload's receipt and answer file, saved as the student keeps them."""
    assert post_upload(client, student, CONTENT).status_code == 302
    submission = student.submissions.get()
    receipt = tmp_path / "receipt.json"
    receipt.write_text(receipts.receipt_json(submission))
    answer = tmp_path / "answer.pdf"
    answer.write_bytes(CONTENT)
    return receipt, answer, submission


def test_it_verifies_a_receipt_and_its_file_with_the_database_unreachable(saved):
    receipt, answer, submission = saved

    result = verify_receipt(receipt, answer)

    assert result.returncode == 0, result.stderr
    kid = signing.key_id(signing.signing_key())
    site = settings.SITE_URL.split("://")[1]
    assert f"Valid: signed by {site} with key {kid}." in result.stdout
    assert "This file matches: answer.pdf is the file on the receipt." in result.stdout
    assert f"Verification code: {submission.display_code}" in result.stdout
    assert "connection" not in result.stderr.lower()


def test_another_file_fails_and_says_which_checksums_differ(saved, tmp_path):
    receipt, _answer, _submission = saved
    other = tmp_path / "other.pdf"
    other.write_bytes(CONTENT + b" and one more line")

    result = verify_receipt(receipt, other)

    assert result.returncode == 1
    assert "The file does not match: other.pdf has the SHA-256" in result.stderr
    assert "Not valid" in result.stderr


def test_a_tampered_receipt_fails_naming_the_fact(saved):
    receipt, _answer, _submission = saved
    data = json.loads(receipt.read_text())
    data["facts"]["file"] = "better-answer.pdf"
    receipt.write_text(json.dumps(data))

    result = verify_receipt(receipt)

    assert result.returncode == 1
    assert 'File: the readable part says "better-answer.pdf"' in result.stderr


def test_it_verifies_with_a_saved_jwks_and_no_key_in_the_environment(saved, client, tmp_path):
    receipt, _answer, _submission = saved
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").content)

    result = verify_receipt(receipt, "--keys", jwks, RECEIPT_SIGNING_KEY="")

    assert result.returncode == 0, result.stderr
    assert "Valid: signed by" in result.stdout


def test_a_key_that_was_never_published_gives_a_clear_message(saved):
    receipt, _answer, _submission = saved

    result = verify_receipt(receipt, RECEIPT_SIGNING_KEY=signing.new_private_key())

    assert result.returncode == 1
    kid = signing.key_id(signing.signing_key())
    assert f"This receipt was signed with key {kid}, which is not one of the published" in (
        result.stderr
    )


def test_a_missing_file_is_named(tmp_path):
    result = verify_receipt(tmp_path / "nowhere.json")

    assert result.returncode == 1
    assert "Cannot read" in result.stderr
    assert "nowhere.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_receipt_keys_prints_each_published_keys_id_and_fingerprint(tmp_path):
    retired = signing.public_part(signing.load_private_key(signing.new_private_key()))
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "receipt_keys"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": NO_DATABASE,
            "RECEIPT_SIGNING_KEY": settings.RECEIPT_SIGNING_KEY,
            "RECEIPT_PUBLIC_KEYS": retired,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    current, old = result.stdout.splitlines()
    key = signing.signing_key()
    assert current.startswith(f"{signing.key_id(key)}  signing  fingerprint {key.thumbprint()}")
    assert old.split()[1] == "retired"
    assert old.endswith(f"public key {retired}")


def test_generate_receipt_key_makes_a_usable_key_each_time():
    def generate():
        return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", "generate_receipt_key"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": NO_DATABASE},
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    first, second = generate(), generate()

    line = first.splitlines()[0]
    assert line.startswith("RECEIPT_SIGNING_KEY=")
    key = signing.load_private_key(line.removeprefix("RECEIPT_SIGNING_KEY="))
    assert f"Key id:      {signing.key_id(key)}" in first
    assert first.splitlines()[0] != second.splitlines()[0]

"""`manage.py storage_cors` and the deploy check that the bucket lets browsers upload, against
moto's server over HTTP, run without its blanket CORS layer so that it answers a preflight
from the bucket's rules (submissions.tests.storage_servers).

moto 5's preflight is simpler than S3's, and the tests keep within what it honours: it
allows the origin when the bucket's rules do and answers 403 otherwise, echoing the rule's
methods and headers for the browser (and the check) to judge; but it answers 403 as soon as
any rule names another origin, where S3 uses the first rule that matches. A bucket with a
kept rule of the operator's is therefore checked by reading its rules, not by a preflight."""

import json
import socket
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from submissions import cors
from submissions.checks import browsers_may_upload_to_storage
from submissions.tests.storage_servers import CREDENTIALS, MotoProcess, presigned_put

pytestmark = pytest.mark.django_db

SITE = "https://depository.test"
KEY = "submissions/0123456789abcdef0123456789abcdef"
RULE = {
    "ID": "exam-depository-upload",
    "AllowedOrigins": [SITE],
    "AllowedMethods": ["PUT"],
    "AllowedHeaders": ["content-type", "content-disposition", "x-amz-checksum-sha256"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 3600,
}
OPERATORS_RULE = {
    "ID": "dashboard",
    "AllowedOrigins": ["https://dashboard.example"],
    "AllowedMethods": ["GET"],
}


@pytest.fixture(scope="module")
def moto_server():
    """This module's S3 (conftest's `s3` fixture uses it): moto's server in its own process,
    answering preflights as the bucket's rules say."""
    server = MotoProcess()
    yield server, server.endpoint
    server.stop()


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = f"{SITE}/"


def storage_cors(capsys, *args, verbosity=1):
    call_command("storage_cors", *args, verbosity=verbosity)
    return capsys.readouterr().out


def bucket_rules(s3):
    try:
        return s3.get_bucket_cors(Bucket=s3.bucket)["CORSRules"]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchCORSConfiguration"
        return []


def set_rules(s3, *rules):
    s3.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": list(rules)})


@pytest.fixture
def cors_writes(s3):
    """The PutBucketCors requests the app's storage client sends."""
    sent = []

    def capture(request, **kwargs):
        if request.method == "PUT" and "cors" in request.url:
            sent.append(request.url)

    events = default_storage.connection.meta.client.meta.events
    events.register("before-send.s3", capture)
    yield sent
    events.unregister("before-send.s3", capture)


@pytest.fixture
def unreachable(settings, s3):
    """Storage at a loopback port nothing listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{port}",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    return port


@pytest.fixture
def objects_only(settings, s3):
    """Storage as the app's own R2 token reaches it: objects only, not the bucket's settings.
    moto's server of this test's own, enforcing IAM once its first 4 requests set it up."""
    server = MotoProcess(environment={"INITIAL_NO_AUTH_ACTION_COUNT": "4"})
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1", **CREDENTIALS)
    server.client().create_bucket(Bucket="answers")
    iam.create_user(UserName="app")
    statement = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::answers", "arn:aws:s3:::answers/*"],
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_user_policy(UserName="app", PolicyName="objects", PolicyDocument=policy)
    key = iam.create_access_key(UserName="app")["AccessKey"]
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "endpoint_url": server.endpoint,
        "bucket_name": "answers",
        "access_key": key["AccessKeyId"],
        "secret_key": key["SecretAccessKey"],
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    yield
    server.stop()


# The command.


def test_a_dry_run_prints_the_rule_and_sets_nothing(s3, capsys):
    output = storage_cors(capsys)

    assert f"The CORS rule for uploads from {SITE}:\n{cors.describe(RULE)}" in output
    assert output.endswith("The bucket does not have it: run with --apply to set it.\n")
    assert bucket_rules(s3) == []


def test_apply_sets_the_rule(s3, capsys):
    output = storage_cors(capsys, "--apply")

    assert bucket_rules(s3) == [RULE]
    assert output == f"Set the CORS rule for uploads from {SITE}; kept 0 other rules.\n"


def test_a_dry_run_says_when_the_bucket_has_the_rule(s3, capsys):
    set_rules(s3, RULE)

    output = storage_cors(capsys)

    assert output.endswith("The bucket has the rule already.\n")


def test_applying_twice_writes_once(s3, capsys, cors_writes):
    storage_cors(capsys, "--apply")
    again = storage_cors(capsys, "--apply")

    assert again == "The bucket has the rule already.\n"
    assert len(cors_writes) == 1
    assert bucket_rules(s3) == [RULE]


def test_it_keeps_the_operators_rules_and_replaces_its_own(s3, capsys):
    set_rules(s3, OPERATORS_RULE, {**RULE, "AllowedOrigins": ["https://old-name.example"]})

    output = storage_cors(capsys, "--apply", verbosity=2)

    ours, kept = bucket_rules(s3)
    assert (ours, kept) == (RULE, OPERATORS_RULE)
    assert f"Another rule, kept as it is:\n{cors.describe(kept)}" in output
    assert output.endswith(f"Set the CORS rule for uploads from {SITE}; kept 1 other rule.\n")


def test_its_rule_without_its_id_is_still_its_own(s3, capsys, cors_writes):
    """A storage that drops rule IDs does not get the rule a second time."""
    without_id = {key: value for key, value in RULE.items() if key != "ID"}
    set_rules(s3, OPERATORS_RULE, without_id)

    output = storage_cors(capsys, "--apply")

    assert output == "The bucket has the rule already.\n"
    assert cors_writes == []


def test_verbosity_0_prints_nothing(s3, capsys):
    assert storage_cors(capsys, verbosity=0) == ""
    assert storage_cors(capsys, "--apply", verbosity=0) == ""
    assert bucket_rules(s3) == [RULE]


def test_on_local_storage_there_is_nothing_to_set(capsys):
    output = storage_cors(capsys, "--apply")

    assert output == (
        "Files are stored on the server's own disk: uploads go through the app, so there is "
        "no CORS rule to set.\n"
    )


def test_it_fails_when_storage_cannot_be_reached(unreachable, capsys):
    with pytest.raises(CommandError, match="Could not read the bucket's CORS rules: .*"):
        storage_cors(capsys, "--apply")


def test_it_says_which_token_it_needs_when_the_apps_own_is_refused(objects_only, capsys):
    with pytest.raises(CommandError) as refused:
        storage_cors(capsys)

    assert "Could not read the bucket's CORS rules: " in str(refused.value)
    assert "(AccessDenied)" in str(refused.value)
    assert str(refused.value).endswith(
        "Reading and setting a bucket's CORS takes credentials that may change its settings "
        "(R2: an API token with Admin Read & Write; the app itself needs only Object Read & "
        "Write)."
    )


def test_the_origin_is_the_site_urls_as_a_browser_sends_it():
    assert cors.site_origin("https://Depository.Test:443/exams/") == "https://depository.test"
    assert cors.site_origin("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert cors.site_origin("http://[::1]:80/") == "http://[::1]"


# The deploy check.


def test_the_check_fails_without_the_rule(s3):
    [error] = browsers_may_upload_to_storage(None)

    assert error.id == "submissions.E007"
    assert error.msg == (
        f"The bucket's CORS does not let a page at {SITE} upload to it: "
        f"it does not allow requests from {SITE}."
    )
    assert "Run `manage.py storage_cors --apply`" in error.hint


def test_the_check_passes_once_the_command_set_the_rule(s3, capsys):
    storage_cors(capsys, "--apply")

    assert browsers_may_upload_to_storage(None) == []


def test_the_check_fails_on_a_rule_for_another_origin(s3):
    set_rules(s3, {**RULE, "AllowedOrigins": ["https://old-name.example"]})

    [error] = browsers_may_upload_to_storage(None)

    assert error.id == "submissions.E007"
    assert error.msg.endswith("upload to it: it answers the preflight with HTTP 403.")


def test_the_check_fails_on_a_rule_without_put_or_the_checksum_header(s3):
    allowed = ["Content-Type", "Content-Disposition"]
    set_rules(s3, {**RULE, "AllowedMethods": ["GET"], "AllowedHeaders": allowed})

    [error] = browsers_may_upload_to_storage(None)

    assert error.msg.endswith(
        "it does not allow PUT; it does not allow the headers x-amz-checksum-sha256."
    )


def test_the_check_says_when_storage_cannot_be_reached(unreachable):
    [error] = browsers_may_upload_to_storage(None)

    assert error.id == "submissions.E008"
    assert error.msg.startswith(
        f"Storage could not be asked whether browsers may upload to it: 127.0.0.1:{unreachable}:"
    )


def test_the_check_has_nothing_to_ask_of_local_storage():
    assert browsers_may_upload_to_storage(None) == []


# What a browser sees.


def test_the_rule_allows_every_header_the_presigned_put_signs_but_the_browsers_own(s3):
    url, headers = presigned_put(
        default_storage.connection.meta.client, s3.bucket, KEY, b"%PDF-1.7 answers"
    )

    signed = parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";")
    assert sorted(signed) == sorted([*cors.UPLOAD_HEADERS, "content-length", "host"])
    assert sorted(header.lower() for header in headers) == sorted(cors.UPLOAD_HEADERS)


def test_a_browsers_preflight_and_upload_are_allowed_once_the_rule_is_set(s3, capsys):
    """The browser's side of the two-step upload, by hand: the preflight it sends before a
    PUT through a presigned URL signed as the upload signs it, then the PUT itself."""
    storage_cors(capsys, "--apply")
    body = b"%PDF-1.7 answers"
    url, headers = presigned_put(default_storage.connection.meta.client, s3.bucket, KEY, body)
    preflight = urllib.request.Request(  # noqa: S310 (loopback moto)
        url,
        method="OPTIONS",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": ",".join(sorted(h.lower() for h in headers)),
        },
    )
    with urllib.request.urlopen(preflight, timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.headers["Access-Control-Allow-Origin"] == SITE
        assert answer.headers["Access-Control-Allow-Methods"] == "PUT"
        assert answer.headers["Access-Control-Allow-Headers"] == (
            "content-type, content-disposition, x-amz-checksum-sha256"
        )
        assert answer.headers["Access-Control-Max-Age"] == "3600"
    put = urllib.request.Request(  # noqa: S310 (loopback moto)
        url, data=body, method="PUT", headers={"Origin": SITE, **headers}
    )
    with urllib.request.urlopen(put, timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.headers["Access-Control-Allow-Origin"] == SITE
        assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
        assert answer.headers["ETag"]
    assert s3.get_object(Bucket=s3.bucket, Key=KEY)["Body"].read() == body

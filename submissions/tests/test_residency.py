import pytest

from submissions.checks import storage_is_where_data_residency_says
from submissions.residency import storage_location

EU_R2 = "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com"
GLOBAL_R2 = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"


def s3_storage(endpoint="", region="auto"):
    return {
        "BACKEND": "submissions.storage.SubmissionS3Storage",
        "OPTIONS": {"bucket_name": "answers", "endpoint_url": endpoint, "region_name": region},
    }


def residency_errors(settings, storage, residency="eu"):
    settings.DATA_RESIDENCY = residency
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return [message.id for message in storage_is_where_data_residency_says(None)]


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        (EU_R2, "auto"),
        ("https://s3.eu-central-1.amazonaws.com", "auto"),
        ("https://s3.dualstack.eu-west-1.amazonaws.com", "auto"),
        ("https://answers.s3.eu-north-1.amazonaws.com", "auto"),
        ("https://s3-eu-west-3.amazonaws.com", "auto"),
        ("", "eu-south-2"),
    ],
)
def test_eu_residency_accepts_a_bucket_kept_in_the_eu(settings, endpoint, region):
    assert residency_errors(settings, s3_storage(endpoint, region)) == []


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        (GLOBAL_R2, "auto"),
        ("https://0123456789abcdef.eu.r2.cloudflarestorage.com.example.com", "auto"),
        ("https://s3.us-east-1.amazonaws.com", "auto"),
        # Named "eu" by AWS, but outside the European Union.
        ("https://s3.eu-west-2.amazonaws.com", "auto"),
        ("https://s3.eu-central-2.amazonaws.com", "auto"),
        ("", "auto"),
        ("", "us-west-2"),
        ("https://storage.example.eu", "auto"),
    ],
)
def test_eu_residency_refuses_a_bucket_that_may_leave_the_eu(settings, endpoint, region):
    assert residency_errors(settings, s3_storage(endpoint, region)) == ["submissions.E004"]


def test_eu_residency_refuses_local_files(settings):
    """A Fly machine's own disk is not where production keeps answers, and is lost with it."""
    local = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {}}

    assert residency_errors(settings, local) == ["submissions.E004"]


def test_no_residency_promised_checks_nothing(settings):
    assert residency_errors(settings, s3_storage(GLOBAL_R2), residency="") == []


def test_an_unknown_residency_is_an_error_not_a_silent_pass(settings):
    assert residency_errors(settings, s3_storage(EU_R2), residency="EU-ish") == ["submissions.E003"]


@pytest.mark.parametrize(
    ("storage", "label"),
    [
        (s3_storage(EU_R2), "in the EU (Cloudflare R2)"),
        (s3_storage(GLOBAL_R2), "with Cloudflare R2"),
        (s3_storage("https://s3.eu-central-1.amazonaws.com"), "in the EU (Amazon S3)"),
        (s3_storage("https://s3.eu-west-2.amazonaws.com"), "with Amazon S3"),
        (s3_storage("http://127.0.0.1:9000"), "in S3-compatible storage"),
        ({"BACKEND": "django.core.files.storage.FileSystemStorage"}, "on the server's own disk"),
    ],
)
def test_the_storage_location_has_a_name_for_the_pages(storage, label):
    assert str(storage_location(storage).label) == label


@pytest.mark.django_db
def test_pages_get_the_storage_location_in_their_context(client, settings, student):
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(EU_R2)}

    response = client.get(student.get_upload_url())

    assert str(response.context["STORAGE_LOCATION"]) == "in the EU (Cloudflare R2)"

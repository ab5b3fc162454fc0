"""
Where answer files are stored, read from the storage settings: for the deploy check that
holds production to DATA_RESIDENCY, and for the pages that tell a student where their file
goes.

Cloudflare R2 keeps a bucket created with the EU jurisdiction in the EU and serves it only
from `https://<account-id>.eu.r2.cloudflarestorage.com`; a bucket without a jurisdiction
(`https://<account-id>.r2.cloudflarestorage.com`) may be placed anywhere. An AWS S3 bucket
lives in the region its endpoint (or AWS_S3_REGION_NAME, without an endpoint) names.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

R2_HOST = re.compile(r"^[a-z0-9]+(?P<eu>\.eu)?\.r2\.cloudflarestorage\.com$")
S3_HOST = re.compile(
    r"^(?:[a-z0-9.-]+\.)?s3[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$"
)
# AWS regions inside the European Union. Its other European regions are not: London
# (eu-west-2) and Zurich (eu-central-2) sit outside the EU, whatever their names say.
EU_AWS_REGIONS = frozenset(
    {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"}
)


@dataclass(frozen=True)
class Location:
    in_eu: bool
    label: str  # a phrase for a sentence: "Your file is stored {label}."
    describes: str  # for the operator: what the settings name


def storage_location(storage_settings=None):
    """Where STORAGES["default"] keeps files."""
    storage_settings = storage_settings or settings.STORAGES["default"]
    if not storage_settings["BACKEND"].endswith("S3Storage"):
        return Location(False, _("on the server's own disk"), "local file storage")
    options = storage_settings.get("OPTIONS", {})
    endpoint = options.get("endpoint_url") or ""
    host = (urlsplit(endpoint).hostname or "").lower()
    if not endpoint:
        region = options.get("region_name") or ""
        return _aws(region, f"AWS S3 in region {region or '(none)'}")
    if r2 := R2_HOST.match(host):
        if r2["eu"]:
            return Location(True, _("in the EU (Cloudflare R2)"), f"R2 endpoint {host}")
        return Location(
            False, _("with Cloudflare R2"), f"R2 endpoint {host}, without the EU jurisdiction"
        )
    if s3 := S3_HOST.match(host):
        return _aws(s3["region"], f"AWS S3 endpoint {host}")
    return Location(False, _("in S3-compatible storage"), f"S3 endpoint {host or endpoint}")


def _aws(region, describes):
    if region in EU_AWS_REGIONS:
        return Location(True, _("in the EU (Amazon S3)"), describes)
    return Location(False, _("with Amazon S3"), describes)

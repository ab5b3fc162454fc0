"""The bucket's CORS rule for the two-step upload: the student's browser PUTs the file's bytes
to storage itself, through a presigned URL, from the site's own origin (SITE_URL). Without a
rule allowing that, the browser refuses to send them. `manage.py storage_cors` writes the rule
(which needs a token that may change the bucket's settings); `check --deploy` asks the bucket
the question a browser asks before each upload, its preflight, which needs no token at all."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import storages

from submissions.storage import PUT_HEADERS, STORAGE_ERRORS, StorageUnavailable

RULE_ID = "exam-depository-upload"
# The request headers signed into the presigned PUT that the browser must send and CORS
# controls (storage.PUT_HEADERS): Content-Type (an answer file's type is never one of the few
# CORS lets through unasked), Content-Disposition (the stored object's, naming the file) and
# the SHA-256 checksum. Content-Length and Host are signed too, but the browser sets those.
UPLOAD_HEADERS = tuple(header.lower() for header in PUT_HEADERS)
# How long a browser may keep the preflight's answer (Chromium keeps it 2 hours at most).
MAX_AGE_SECONDS = 3600
# Where the check's preflight asks to PUT: a key like the uploads' own. Nothing is stored.
PREFLIGHT_KEY = "submissions/cors-preflight"


def site_origin(url=None):
    """SITE_URL's origin as a browser sends it: scheme, host and any port that is not the
    scheme's default, without a path."""
    parts = urlsplit(url or settings.SITE_URL)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{host}{port}"


def upload_rule(origin):
    """The rule that lets a page at `origin` PUT an answer file's bytes, and nothing else."""
    return {
        "ID": RULE_ID,
        "AllowedOrigins": [origin],
        "AllowedMethods": ["PUT"],
        "AllowedHeaders": list(UPLOAD_HEADERS),
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": MAX_AGE_SECONDS,
    }


def describe(rule):
    return json.dumps(rule, indent=2)


def _bucket():
    s3 = storages["default"]
    return s3.connection.meta.client, s3.bucket_name


def bucket_rules():
    """The bucket's CORS rules, [] when it has none; StorageUnavailable when it cannot say."""
    client, bucket = _bucket()
    try:
        return client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError as error:
        if error.response["Error"].get("Code") == "NoSuchCORSConfiguration":
            return []
        raise StorageUnavailable(str(error)) from error
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


def set_bucket_rules(rules):
    client, bucket = _bucket()
    try:
        client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


def _normal(rule):
    """A rule as S3 matches it: method names upper case, header names in any case, no ID."""
    return (
        sorted(rule.get("AllowedOrigins", [])),
        sorted(method.upper() for method in rule.get("AllowedMethods", [])),
        sorted(header.lower() for header in rule.get("AllowedHeaders", [])),
        sorted(header.lower() for header in rule.get("ExposeHeaders", [])),
        rule.get("MaxAgeSeconds"),
    )


def is_ours(rule, wanted):
    """Our rule, as this command wrote it (its ID), or the same rule whose ID was lost."""
    return rule.get("ID") == RULE_ID or _normal(rule) == _normal(wanted)


def has_rule(rules, wanted):
    """Whether `rules` hold `wanted` and no older rule of ours beside it."""
    ours = [rule for rule in rules if is_ours(rule, wanted)]
    return bool(ours) and all(_normal(rule) == _normal(wanted) for rule in ours)


def with_rule(rules, wanted):
    """`wanted` first (S3 applies the first rule that matches a request), then every rule
    that is not ours, in its order."""
    return [wanted, *(rule for rule in rules if not is_ours(rule, wanted))]


@dataclass(frozen=True)
class Preflight:
    status: int
    headers: dict

    def refusals(self, origin):
        """Why a browser at `origin` would not send the upload after this answer (the Fetch
        standard's CORS checks of a preflight), or [] when it would."""
        if not 200 <= self.status < 300:
            return [f"it answers the preflight with HTTP {self.status}"]
        if self._header("Access-Control-Allow-Origin") not in {origin, "*"}:
            return [f"it does not allow requests from {origin}"]
        reasons = []
        methods = self._tokens("Access-Control-Allow-Methods")
        if "PUT" not in methods and "*" not in methods:
            reasons.append("it does not allow PUT")
        allowed = {header.lower() for header in self._tokens("Access-Control-Allow-Headers")}
        missing = [header for header in UPLOAD_HEADERS if not allowed & {header, "*"}]
        if missing:
            reasons.append(f"it does not allow the headers {', '.join(missing)}")
        return reasons

    def _header(self, name):
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

    def _tokens(self, name):
        return {token.strip() for token in self._header(name).split(",") if token.strip()}


def preflight(origin):
    """Ask the bucket what a browser at `origin` asks before it PUTs an answer file through
    a presigned URL: an OPTIONS request to a URL of the same form, unsigned (a preflight
    carries no credentials). StorageUnavailable when the storage cannot be reached."""
    s3 = storages["default"]
    url = s3.unsigned_connection.meta.client.generate_presigned_url(
        "put_object", Params={"Bucket": s3.bucket_name, "Key": PREFLIGHT_KEY}
    )
    request = urllib.request.Request(  # noqa: S310 (the storage's own http(s) endpoint)
        url,
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": ",".join(UPLOAD_HEADERS),
        },
    )
    config = s3.client_config
    timeout = max(config.connect_timeout, config.read_timeout)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return Preflight(answer.status, dict(answer.headers))
    except urllib.error.HTTPError as answer:
        return Preflight(answer.code, dict(answer.headers))
    except OSError as error:
        raise StorageUnavailable(f"{urlsplit(url).netloc}: {error}") from error

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from submissions import cors, signing
from submissions.residency import storage_location
from submissions.storage import StorageUnavailable, is_s3


@register(Tags.security, deploy=True)
def storage_endpoint_uses_https(app_configs, **kwargs):
    """Answer files go to S3/R2 with an unsigned body (settings.S3_CLIENT_CONFIG): only TLS
    keeps them from being altered on the way, so production must not speak plain HTTP."""
    options = settings.STORAGES["default"].get("OPTIONS", {})
    endpoint = options.get("endpoint_url") or ""
    if urlsplit(endpoint).scheme == "http":
        return [
            Error(
                f"AWS_S3_ENDPOINT_URL is plain HTTP ({endpoint}).",
                hint="Use the https:// endpoint (R2: https://<account-id>.r2.cloudflarestorage.com).",
                id="submissions.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def throttle_store_works(app_configs, **kwargs):
    """Without its store the wrong-code throttle lets every guess through (it fails open,
    so an outage never stops an exam): a deploy must not start that way."""
    from submissions import throttle

    try:
        throttle.check_store()
    except throttle.StoreUnavailable as error:
        return [
            Error(
                str(error),
                hint="Run `manage.py migrate` (the table), or check REDIS_URL (Redis).",
                id="submissions.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def browsers_may_upload_to_storage(app_configs, **kwargs):
    """The two-step upload has the student's browser PUT the file's bytes to the bucket from
    SITE_URL's origin: unless the bucket answers the browser's preflight allowing that, every
    such upload fails in the browser. Asked as a browser asks, so it needs no credentials."""
    if not is_s3():
        return []
    origin = cors.site_origin()
    try:
        refusals = cors.preflight(origin).refusals(origin)
    except StorageUnavailable as error:
        return [
            Error(
                f"Storage could not be asked whether browsers may upload to it: {error}",
                hint="Check AWS_S3_ENDPOINT_URL and that the storage can be reached from here.",
                id="submissions.E008",
            )
        ]
    if not refusals:
        return []
    return [
        Error(
            f"The bucket's CORS does not let a page at {origin} upload to it: "
            f"{'; '.join(refusals)}.",
            hint=(
                "Run `manage.py storage_cors --apply` once for this bucket and SITE_URL (with "
                "credentials that may change the bucket's settings; see the README)."
            ),
            id="submissions.E007",
        )
    ]


RESIDENCIES = {"eu"}


@register(Tags.security, deploy=True)
def storage_is_where_data_residency_says(app_configs, **kwargs):
    """With DATA_RESIDENCY=eu, answer files must go to a bucket that stays in the EU: an R2
    bucket created with the EU jurisdiction, or an AWS S3 bucket in an EU region."""
    residency = settings.DATA_RESIDENCY
    if not residency:
        return []
    if residency not in RESIDENCIES:
        return [
            Error(
                f"DATA_RESIDENCY is {residency!r}.",
                hint="Leave it empty, or set it to 'eu'.",
                id="submissions.E003",
            )
        ]
    location = storage_location()
    if location.in_eu:
        return []
    return [
        Error(
            f"DATA_RESIDENCY is 'eu', but answer files go to {location.describes}.",
            hint=(
                "Create the R2 bucket with the EU jurisdiction and set AWS_S3_ENDPOINT_URL to "
                "https://<account-id>.eu.r2.cloudflarestorage.com (or use an AWS S3 bucket in "
                "an EU region)."
            ),
            id="submissions.E004",
        )
    ]


@register(Tags.security, deploy=True)
def mail_leaves_the_machine(app_configs, **kwargs):
    """Without EMAIL_URL production would print every mail to its log and send none."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
        return [
            Warning(
                "EMAIL_URL is not set: mail is printed to the log, not sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="submissions.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def receipts_are_signed_with_a_kept_key(app_configs, **kwargs):
    """Without RECEIPT_SIGNING_KEY each process would sign with a throwaway key of its own,
    and no receipt would verify after a restart."""
    if not settings.RECEIPT_SIGNING_KEY_IS_SET:
        return [
            Error(
                "RECEIPT_SIGNING_KEY is not set: receipts would be signed with a throwaway key.",
                hint="Make one with `manage.py generate_receipt_key` and set it as a secret.",
                id="submissions.E005",
            )
        ]
    try:
        signing.published_keys()
    except signing.BadKey as error:
        return [
            Error(
                str(error),
                hint="Keys are 43 base64url characters, as `generate_receipt_key` prints them.",
                id="submissions.E006",
            )
        ]
    return []

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


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

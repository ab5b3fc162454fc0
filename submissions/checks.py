from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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

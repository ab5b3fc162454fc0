from django.conf import settings

from submissions.residency import storage_location


def retention(request):
    return {"RETENTION_DAYS": settings.SUBMISSION_RETENTION_DAYS}


def storage(request):
    """STORAGE_LOCATION: where answer files are kept, as a phrase for a sentence ("in the EU
    (Cloudflare R2)"), translated."""
    return {"STORAGE_LOCATION": storage_location().label}

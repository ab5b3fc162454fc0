from django.conf import settings


def retention(request):
    return {"RETENTION_DAYS": settings.SUBMISSION_RETENTION_DAYS}

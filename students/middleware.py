import zoneinfo

from django.utils import timezone


def examiner_time_zone(get_response):
    """Show a logged-in examiner every time in the zone they chose (settings.TIME_ZONE until
    they choose). Not reset after the response, so streamed CSVs are written in it too. The
    profile comes with the user (students.backends): no query of its own."""

    def middleware(request):
        zone = None
        if request.user.is_authenticated:
            profile = getattr(request.user, "examiner_profile", None)
            zone = profile.time_zone if profile else None
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware

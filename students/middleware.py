import zoneinfo

from django.utils import timezone

from students.models import ExaminerProfile


def examiner_time_zone(get_response):
    """Show a logged-in examiner every time in the zone they chose (settings.TIME_ZONE until
    they choose). Not reset after the response, so streamed CSVs are written in it too."""

    def middleware(request):
        zone = None
        if request.user.is_authenticated:
            zone = (
                ExaminerProfile.objects.filter(user=request.user)
                .values_list("time_zone", flat=True)
                .first()
            )
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware

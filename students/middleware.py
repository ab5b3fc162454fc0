from students import times
from students.models import ExaminerProfile


def examiner_time_zone(get_response):
    """Show a logged-in examiner every time in the zone they chose (settings.TIME_ZONE until
    they choose). Not reset after the response, so streamed CSVs are written in it too. The
    profile comes with the user (students.backends): no query of its own."""

    def middleware(request):
        times.activate(ExaminerProfile.time_zone_of(request.user))
        return get_response(request)

    return middleware

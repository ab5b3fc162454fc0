from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from students import times
from students.models import ExaminerProfile
from students.signin import must_set_up_second_factor


def examiner_time_zone(get_response):
    """Show a logged-in examiner every time in the zone they chose (settings.TIME_ZONE until
    they choose). Not reset after the response, so streamed CSVs are written in it too. The
    profile comes with the user (students.backends): no query of its own."""

    def middleware(request):
        times.activate(ExaminerProfile.time_zone_of(request.user))
        return get_response(request)

    return middleware


class SecondFactorRequired:
    """With SECOND_FACTOR_REQUIRED, an examiner who signs in with a password and has no second
    factor yet is sent to set one up before any examiner page opens (students.signin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The examiner's pages: the dashboard's and the API token pages beside it.
        if request.resolver_match.namespace not in {"students", "api_tokens"}:
            return None
        if not must_set_up_second_factor(request):
            return None
        messages.info(request, _("Set up a second factor to open your examiner pages."))
        return redirect("mfa_index")

"""The Django admin, for superusers only, and only after a second factor."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from students.signin import has_second_factor, used_second_factor


class SuperuserAdminSite(admin.AdminSite):
    def has_permission(self, request):
        """Superusers only: the admin shows every examiner's exams, students and files, so
        staff status with model permissions (which would reach all of it) is not enough.
        And only a session that signed in with a second factor (a passkey, an authenticator
        app's code or a recovery code): a stolen password alone must not open it."""
        user = request.user
        return user.is_active and user.is_superuser and used_second_factor(request)

    def login(self, request, extra_context=None):
        """No login form of the admin's own, which would start a session without the second
        factor: the examiner login does it. A superuser whose session lacks the factor is
        told what to do; anyone else signed in is refused."""
        user = request.user
        if self.has_permission(request):
            return redirect("admin:index")
        if not user.is_authenticated:
            next_url = request.GET.get("next") or reverse("admin:index")
            return redirect_to_login(next_url, settings.LOGIN_URL)
        if user.is_active and user.is_superuser:
            context = {"has_second_factor": has_second_factor(user)}
            return render(request, "admin/second_factor_required.html", context, status=403)
        raise PermissionDenied

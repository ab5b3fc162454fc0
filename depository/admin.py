"""The Django admin, for superusers only."""

from django.contrib import admin


class SuperuserAdminSite(admin.AdminSite):
    def has_permission(self, request):
        """Superusers only: the admin shows every examiner's exams, students and files, so
        staff status with model permissions (which would reach all of it) is not enough."""
        return request.user.is_active and request.user.is_superuser

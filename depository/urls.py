from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.generic import TemplateView

from students.accounts import QueuedPasswordResetForm, too_many_resets


class LogoutView(auth_views.LogoutView):
    """Logs out on POST; on GET asks to confirm. Pages that send no Referer link here,
    since a form posted from them carries `Origin: null`, which CSRF protection refuses."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with its mail queued for the worker and requests counted per network."""

    form_class = QueuedPasswordResetForm

    def post(self, request, *args, **kwargs):
        if too_many_resets(request):
            return render(request, "registration/password_reset_throttled.html", status=429)
        return super().post(request, *args, **kwargs)


class InvitationView(auth_views.PasswordResetConfirmView):
    """An invited examiner chooses their first password through Django's one-time link."""

    extra_context = {"invitation": True}


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/", InvitationView.as_view(), name="invitation_accept"
    ),
    path("admin/", admin.site.urls),
    path("exams/", include("students.urls")),
    path("", include("submissions.urls")),
]

import sys

from allauth.account import views as account_views
from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from allauth.socialaccount.providers.saml import views as saml_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import include, path
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView
from django.views.i18n import set_language

from api import views as api_views
from depository import errorpages, health, jscatalog, sessions
from depository.serve import NOT_RECEIVED_PATH, TOO_LARGE_PATH
from students.accounts import QueuedPasswordResetForm
from students.views import LoginView, provider_sign_in
from submissions.throttle import too_many_resets
from submissions.views import jwks


class LogoutView(auth_views.LogoutView):
    """Logs out on POST; on GET asks to confirm. Pages that send no Referer link here,
    since a form posted from them carries `Origin: null`, which CSRF protection refuses."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")

    def post(self, request, *args, **kwargs):
        """While Redis is down a logout could not last (depository.sessions): it changes
        nothing, and the page says the examiner is still logged in and to try again."""
        try:
            sessions.ensure_forgettable(request.session)  # before anything is logged out
        except sessions.CacheUnavailable:
            response = render(request, "registration/logout_unavailable.html", status=503)
            response["Retry-After"] = "60"
            return response
        return super().post(request, *args, **kwargs)


def server_error(request):
    """Django's 500 page; but a request whose database connection was lost on the way (a
    restart, a failover, a pool with no connection to give) gets a 503 asking to try again,
    like an upload whose record could not be written. No context: the database is away."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "60"
        return response
    return defaults.server_error(request)


handler500 = server_error


def favicon(request):
    """For what a browser shows without a page of ours (a JSON answer, a plain text one):
    it asks for /favicon.ico, and would log a 404 every time."""
    response = redirect(static("favicon.svg"))
    response["Cache-Control"] = "max-age=86400"
    return response


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


# The switcher in base.html is on every page, the student's pages included. Those send no
# Referer and set no cookie (so no CSRF token), and browsers post their forms with
# `Origin: null`; a CSRF check would refuse every switch there. A forged post can do no
# more than change the language the next page is shown in, so the view is exempt.
choose_language = csrf_exempt(set_language)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


# django-allauth's pages that signing in uses, under the names allauth reverses: our login
# and logout, its second-factor pages, and the providers' sign-in and callback URLs (README,
# "Signing in"). Its sign-up, e-mail and password pages are left out: accounts come from
# invitations and providers, passwords are reset through ours.
signin_urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="account_login"),
    path("accounts/logout/", LogoutView.as_view(), name="account_logout"),
    path("accounts/reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/inactive/", account_views.account_inactive, name="account_inactive"),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path(
        "accounts/sso/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path("accounts/sso/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("accounts/sso/signup/", socialaccount_views.signup, name="socialaccount_signup"),
    path(
        "accounts/oidc/<str:provider_id>/login/",
        provider_sign_in(oidc_views.login),
        name="openid_connect_login",
    ),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        provider_sign_in(oidc_views.callback),
        name="openid_connect_callback",
    ),
    path(
        "accounts/saml/<str:organization_slug>/acs/",
        provider_sign_in(saml_views.acs),
        name="saml_acs",
    ),
    path(
        "accounts/saml/<str:organization_slug>/acs/finish/",
        saml_views.finish_acs,
        name="saml_finish_acs",
    ),
    path("accounts/saml/<str:organization_slug>/sls/", saml_views.sls, name="saml_sls"),
    path(
        "accounts/saml/<str:organization_slug>/metadata/",
        saml_views.metadata,
        name="saml_metadata",
    ),
    path(
        "accounts/saml/<str:organization_slug>/login/",
        provider_sign_in(saml_views.login),
        name="saml_login",
    ),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("healthz/deep", health.deep, name="healthz_deep"),
    # What nginx asks for when it refuses a body as too large.
    path(
        TOO_LARGE_PATH.removeprefix("/"),
        errorpages.too_large,
        {"api_answer": api_views.too_large},
        name="too_large",
    ),
    path(
        NOT_RECEIVED_PATH.removeprefix("/"),
        errorpages.not_received,
        {"api_answer": api_views.not_received},
        name="not_received",
    ),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    *signin_urlpatterns,
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
    path("i18n/setlang/", choose_language, name="set_language"),
    path("i18n/catalog.js", jscatalog.javascript_catalog, name="javascript_catalog"),
    path("admin/", admin.site.urls),
    path("exams/api-tokens/", include("api.token_urls")),
    path("exams/", include("students.urls")),
    path("api/", include("api.urls")),
    path("", include("submissions.urls")),
]

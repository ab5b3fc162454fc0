"""How examiners sign in, on top of django-allauth: who may become an examiner through an
identity provider (OpenID Connect, SAML), when a provider login is linked to an existing
examiner, and which second factor a session used.

A person the operator has not allowed (EXAMINER_EMAIL_DOMAINS, EXAMINER_GROUPS) gets a page
saying so, and nothing is stored for them. An existing examiner is linked to a provider
login only through an address the provider says it verified; their password stays.
"""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import (
    get_authentication_records,
    perform_password_login,
)
from allauth.account.models import Login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import render

log = logging.getLogger(__name__)

# The backend every examiner session names (students/migrations/0014): Django logs out a
# session whose backend is not in AUTHENTICATION_BACKENDS.
EXAMINER_BACKEND = "students.backends.ExaminerBackend"
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def has_second_factor(user):
    """The user has set up a passkey or an authenticator app."""
    return is_mfa_enabled(user, SECOND_FACTORS)


def signed_in_with(request, method):
    """This session's sign-in went through `method` ("password", "mfa", "socialaccount")."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == method for record in records)


def used_second_factor(request):
    """This session's sign-in included a second factor (or a passkey, which is one)."""
    return signed_in_with(request, "mfa")


def must_set_up_second_factor(request):
    """SECOND_FACTOR_REQUIRED, and this examiner has none yet. A session signed in through
    the institution's provider is left to the provider's own factors."""
    return (
        settings.SECOND_FACTOR_REQUIRED
        and request.user.is_authenticated
        and not used_second_factor(request)  # the session knows: no query on each page
        and not signed_in_with(request, "socialaccount")
        and not has_second_factor(request.user)
    )


def verified_emails(sociallogin):
    return [address.email for address in sociallogin.email_addresses if address.verified]


def _claim_values(extra_data, name):
    """A claim's values from what the provider sent: OpenID Connect's userinfo or ID token,
    or a SAML assertion's attributes (lists of values)."""
    for source in (extra_data.get("userinfo"), extra_data.get("id_token"), extra_data):
        if isinstance(source, dict) and name in source:
            value = source[name]
            return [value] if isinstance(value, str) else list(value or [])
    return []


def may_become_examiner(sociallogin):
    """A provider's verified address in an allowed domain, or a verified address and an
    allowed group: the operator's rule for who gets an examiner account."""
    emails = verified_emails(sociallogin)
    if not emails:
        return False
    domains = {email.rpartition("@")[2].lower() for email in emails}
    if domains & set(settings.EXAMINER_EMAIL_DOMAINS):
        return True
    groups = _claim_values(sociallogin.account.extra_data, settings.EXAMINER_GROUPS_CLAIM)
    return bool(set(groups) & set(settings.EXAMINER_GROUPS))


def examiners_with_email(emails):
    """Examiners whose address (or login name, which invitations make the address) is one
    of `emails`."""
    query = Q(pk__in=[])
    for email in emails:
        query |= Q(email__iexact=email) | Q(username__iexact=email)
    return get_user_model()._default_manager.filter(query)


def refuse(request, reason):
    """Ends a provider sign-in with a page that says why; nothing has been stored."""
    response = render(
        request, "registration/no_examiner_access.html", {"reason": reason}, status=403
    )
    raise ImmediateHttpResponse(response)


def continue_after_password(request, user, redirect_url):
    """A right password is the first step: allauth asks for the second factor when the
    examiner has one, then starts the session and redirects to `redirect_url`."""
    login = Login(user=user, redirect_url=redirect_url)
    return perform_password_login(request, {"username": user.get_username()}, login)


class AccountAdapter(DefaultAccountAdapter):
    # allauth's "Successfully signed in/out" notes: the pages say so themselves.
    QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if message_template not in self.QUIET_MESSAGES:
            super().add_message(request, level, message_template, *args, **kwargs)

    def is_open_for_signup(self, request):
        """No signing up with a password: such accounts come from invitations."""
        return False

    def login(self, request, user):
        """Sessions keep naming ExaminerBackend, however the examiner signed in."""
        if not hasattr(user, "backend"):
            user.backend = EXAMINER_BACKEND
        super().login(request, user)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def authenticate_by_email(self, sociallogin):
        """allauth's linking by address would wipe the examiner's password; ours
        (pre_social_login) links by a verified address and keeps it."""
        return None

    def pre_social_login(self, request, sociallogin):
        if sociallogin.is_existing:
            return
        emails = [address.email for address in sociallogin.email_addresses]
        examiner = examiners_with_email(verified_emails(sociallogin)).first()
        if examiner is not None:
            sociallogin.connect(request, examiner)
        elif examiners_with_email(emails).exists():
            refuse(request, "unverified")
        elif not may_become_examiner(sociallogin):
            log.info("Provider sign-in refused: not an allowed examiner")
            refuse(request, "not_allowed")

    def is_open_for_signup(self, request, sociallogin):
        return may_become_examiner(sociallogin)

    def populate_user(self, request, sociallogin, data):
        """The login name is the verified address, as for an invited examiner."""
        user = super().populate_user(request, sociallogin, data)
        emails = verified_emails(sociallogin)
        if emails:
            user.username = user.email = emails[0]
        return user

    def on_authentication_error(self, request, provider, error=None, exception=None, **kwargs):
        """A provider that cannot be reached, or a sign-in it did not complete: a page that
        says so in words, never a 500."""
        unreachable = isinstance(exception, OSError)
        log.warning("Sign-in through %s failed: %r", provider.id, exception or error)
        response = render(
            request,
            "registration/sso_failed.html",
            {"provider": provider, "unreachable": unreachable},
            status=503 if unreachable else 400,
        )
        raise ImmediateHttpResponse(response)

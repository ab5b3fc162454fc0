"""Examiner accounts by mail: password resets and invitations, queued like every mail.
The links are Django's own one-time tokens: they stop working once the password is set,
and after PASSWORD_RESET_TIMEOUT."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from students import mail, tasks
from students.models import Mail


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose mail goes through the outbox and the worker. Like
    Django's, it says the same whether or not the address has an account."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        link = settings.SITE_URL + reverse(
            "password_reset_confirm", args=[context["uid"], context["token"]]
        )
        mail.queue(
            f"password-reset:{user.pk}:{context['token']}",
            Mail.Kind.PASSWORD_RESET,
            user.email,
            "students/mail/password_reset",
            {"user": user, "link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            lang=mail.language(user),
        )
        tasks.wake_worker()


class CannotInvite(ValueError):
    """The message says why, for the administrator."""


def inviter_name(user):
    """How an invitation names who sent it: their name, else their address or login."""
    return user.get_full_name() or user.email or user.get_username()


def invite(email, invited_by=None, lang=None):
    """Make an examiner account for `email` (its username too) without a password, and
    queue a mail with a one-time link to choose one, naming `invited_by` when known.
    Inviting again sends a new link, as long as the invitee has not chosen a password yet."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CannotInvite(_("“%(email)s” is not an email address.") % {"email": email}) from None
    User = get_user_model()
    if len(email) > User._meta.get_field("username").max_length:
        raise CannotInvite(_("This address is too long to be a login name."))
    user = User.objects.filter(username__iexact=email).first() or User(username=email)
    if user.pk and user.has_usable_password():
        raise CannotInvite(
            _("%(email)s already has an account; they can reset their password.") % {"email": email}
        )
    user.email = email
    user.set_unusable_password()
    user.save()
    token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.SITE_URL + reverse("invitation_accept", args=[uid, token])
    mail.queue(
        f"invitation:{user.pk}:{token}",
        Mail.Kind.INVITATION,
        email,
        "students/mail/invitation",
        {
            "user": user,
            "link": link,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            "inviter": inviter_name(invited_by) if invited_by else "",
        },
        lang=lang or mail.language(user),
    )
    tasks.wake_worker()
    return user

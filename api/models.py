"""Per-examiner API tokens: shown once, stored only as a SHA-256 with a short visible prefix."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# "dep_" and 40 URL-safe characters (240 random bits). The prefix (the first 12 characters)
# is stored and shown so an examiner can tell their tokens apart; it is no secret.
TOKEN_START = "dep_"
PREFIX_LENGTH = 12
# Writing "last used" on every request would make each API call an UPDATE; once a minute
# is precise enough to answer "is this token still in use?".
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(token):
    """The stored form of a token. Tokens carry 240 random bits, so a fast hash is safe:
    there is nothing to guess a token from, and it is looked up on every API request."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def issue(self, user, *, name, scope, exam=None, expires_at=None):
        """A new token for `user`; returns (the row, the token). The token is not kept."""
        if exam is not None and not type(exam).objects.visible_to(user).filter(pk=exam.pk):
            raise ValueError("A token can only be bound to an exam its examiner owns or shares.")
        token = TOKEN_START + secrets.token_urlsafe(30)
        row = self.create(
            user=user,
            name=name,
            scope=scope,
            exam=exam,
            expires_at=expires_at,
            prefix=token[:PREFIX_LENGTH],
            digest=digest(token),
        )
        return row, token

    def for_token(self, token):
        """The active token row `token` names, or None."""
        if not token or not token.startswith(TOKEN_START) or len(token) > 200:
            return None
        return self.active().select_related("user").filter(digest=digest(token)).first()


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read-write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    exam = models.ForeignKey(
        "students.Exam",
        verbose_name=_("only for exam"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("A token bound to one exam reaches none of your other exams."),
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Leave empty for no expiry.")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "read-write"]), name="api_token_scope_known"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now=None):
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at

    def allows_writes(self):
        return self.scope == self.Scope.READ_WRITE

    def is_bound(self):
        return self.exam_id is not None

    def revoke(self):
        """Stop the token at once; revoking twice keeps the first time."""
        now = timezone.now()
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        self.refresh_from_db(fields=["revoked_at"])

    def record_use(self, now=None):
        """Note the token's last use, at most once per LAST_USED_PRECISION (one conditional
        UPDATE, so concurrent requests never write more than that)."""
        now = now or timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_PRECISION:
            return
        ApiToken.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        self.last_used_at = now

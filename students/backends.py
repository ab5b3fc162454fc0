"""Who is logged in, found once per request: the user with their examiner profile (the time
zone every examiner page shows its times in) in one query, and with CACHE_LOGINS (when a
cache that every process shares, Redis, is configured) from that cache, so that an examiner
who polls the exam page costs the database nothing to recognise.

A cached login does not outlive a change: each user's entry is kept under a generation that
every change to the user or their profile replaces (`forget`), at once and again when the
change commits. An entry stored by a request that read the user before a change lands under
the old generation, which nobody reads again. Django's own checks run on the cached user as
on a fresh one: an inactive user is refused, and a changed password ends the other sessions.
While Redis cannot be reached, users are read from the database, and a change that cannot
replace its generation is logged as an error: its user's old entry, if Redis still holds
one when it comes back, lasts at most LOGIN_SECONDS.
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LOGIN_SECONDS = 600  # how long an unchanged login stays cached


def _generation_key(user_id):
    return f"login-generation:{user_id}"


class ExaminerBackend(ModelBackend):
    def get_user(self, user_id):
        user = self._cached_user(user_id) if settings.CACHE_LOGINS else self._user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _cached_user(self, user_id):
        try:
            generation = cache.get(_generation_key(user_id), "")
            key = f"login:{user_id}:{generation}"
            user = cache.get(key)
        except RedisError:
            log.warning("Login read from the database: the cache cannot be reached")
            return self._user(user_id)
        if user is None:
            user = self._user(user_id)
            if user is not None:
                try:
                    cache.set(key, user, LOGIN_SECONDS)
                except RedisError:
                    log.warning("Login not cached: the cache cannot be reached")
        return user

    def _user(self, user_id):
        users = get_user_model()._default_manager.select_related("examiner_profile")
        return users.filter(pk=user_id).first()


def forget(user_id):
    """The user's cached login is out of date: now, and again once this change commits (a
    request may read the old row until then)."""
    if not settings.CACHE_LOGINS:
        return

    def new_generation():
        try:
            cache.set(_generation_key(user_id), uuid.uuid4().hex, None)
        except RedisError:
            log.error("User %s changed while the cache cannot be reached", user_id)

    new_generation()
    transaction.on_commit(new_generation)


def user_changed(sender, instance, **kwargs):
    forget(instance.pk)


def profile_changed(sender, instance, **kwargs):
    forget(instance.user_id)

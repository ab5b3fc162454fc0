"""Sessions read from the cache and written through to the database (Django's cached_db),
used when REDIS_URL is set. When the cache cannot be reached, a session is still read from
the database, so examiners keep working while Redis is down, only without its help.

Logging out still needs Redis: a session left in the cache after its row was deleted would
log its cookie in again once Redis is back. So while Redis is down a logout changes nothing
and says so (CacheUnavailable: the view answers 503, "you are still logged in, try again"),
rather than deleting the row alone and leaving a copy that comes back.
Logging in does not: the session moves to a new key, and if the old key's cache entry cannot
be removed, what it could bring back is the session from before the login."""

import logging

from django.contrib.sessions.backends import cached_db
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """The session cannot be forgotten for good now: nothing of it was changed."""


class SessionStore(cached_db.SessionStore):
    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except RedisError:
            return super(cached_db.SessionStore, self).exists(session_key)

    def load(self):
        try:
            return super().load()
        except RedisError:
            # cached_db read the database already, but storing the session in the cache
            # failed: read it again, from the database alone.
            log.warning("Session read from the database: the cache cannot be reached")
            return super(cached_db.SessionStore, self).load()

    def cycle_key(self):
        try:
            super().cycle_key()  # its last step removes the old key from the cache
        except RedisError:
            log.warning("Old session key left in the cache: the cache cannot be reached")

    def flush(self):
        """Log out, once the cache is known to answer: checked before anything is cleared
        (in memory, in the database or in the cache), so that a logout while Redis is down
        leaves the session whole instead of half gone."""
        self.check_cache()
        super().flush()

    def check_cache(self):
        if not self.session_key:
            return
        try:
            self._cache.has_key(self.cache_key_prefix + self.session_key)
        except RedisError as error:
            log.warning("Logout refused: the cache cannot be reached")
            raise CacheUnavailable from error


def ensure_forgettable(session):
    """Raise CacheUnavailable unless `session` can be forgotten for good right now (a
    session kept in the database alone always can)."""
    if isinstance(session, SessionStore):
        session.check_cache()

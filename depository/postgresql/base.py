"""
Django's PostgreSQL backend, whose pool checks every connection before handing it out.

A connection the server has dropped (a restart, a failover, an idle timeout) would otherwise
fail the first query of whichever request drew it. Django's own check (CONN_HEALTH_CHECKS)
finds the dead connections one at a time, and psycopg_pool pauses between failed checks
(0, 1, 2, 4 s...): after a restart, a request that met four dead connections in a row
waited past the pool's timeout and got an error page. Here the first dead connection found
makes the pool check all its idle ones at once, so the request waits only for a fresh one.
"""

import psycopg
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class SweepingPool(ConnectionPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, check=self.check_or_sweep, **kwargs)

    def check_or_sweep(self, conn):
        try:
            self.check_connection(conn)
        except psycopg.Error:
            self.check()  # the other idle connections were most likely dropped too
            raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        options = self.settings_dict["OPTIONS"].get("pool")
        if options and self.alias != NO_DB_ALIAS and self.alias not in self._connection_pools:
            pool = SweepingPool(
                kwargs={**self.get_connection_params(), "autocommit": True},
                open=False,
                configure=self._configure_connection,
                **({} if options is True else options),
            )
            self._connection_pools.setdefault(self.alias, pool)
        return super().pool

"""``ENGINE = "readingroom.core.postgresql"``: Django's PostgreSQL backend, pooled connections checked by
:func:`readingroom.core.dbpool.pooled_connection_check`."""

from __future__ import annotations

from django.db.backends.postgresql import base

from readingroom.core.dbpool import pooled_connection_check


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # psycopg_pool keeps its lending check here; Django always passes the plain one (or None).
        if pool is not None and pool._check is not pooled_connection_check:
            pool._check = pooled_connection_check
        return pool

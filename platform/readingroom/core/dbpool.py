"""The health check of pooled PostgreSQL connections (Django's psycopg pool).

psycopg_pool checks a connection when it is lent; a dead one is replaced, and the borrower waits a growing
delay (1 s, 2 s, 4 s, ...) before it tries the next. After a PostgreSQL restart or a dropped network every
idle connection of the pool is dead, so the borrower walked through all of them and ran out of time
(PoolTimeout: a 500). Here the first dead connection found makes the pool check all its idle connections
at once, and the next try gets a live one.
"""

from __future__ import annotations

from psycopg_pool import ConnectionPool


def pooled_connection_check(conn) -> None:
    """Check a connection the pool is about to lend; on failure, check the pool's other idle ones too."""
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)
        if pool is not None:
            pool.check()  # closes and replaces every dead idle connection
        raise

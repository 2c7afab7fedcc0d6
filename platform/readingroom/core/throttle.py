"""Limits on failed logins, kept in Django's cache (Redis where ``REDIS_URL`` is set).

Failed logins are counted per account (the user name as typed, case-folded) and per client address within
``LOGIN_FAILURE_WINDOW_S``. When an account reaches ``LOGIN_MAX_FAILURES_PER_ACCOUNT`` failures, or an
address ``LOGIN_MAX_FAILURES_PER_IP``, it is locked for ``LOGIN_LOCKOUT_S``: every login for it, with the
right password too, is refused with :class:`~readingroom.core.exceptions.TooManyRequests` (HTTP 429 with
``Retry-After``) until the lock expires. A successful login clears the account's count. Keys hold a hash of
the name or address, never the name itself.

The limits fail open: where the cache cannot be reached (Redis restarting), logins are neither counted nor
refused, with a warning in the log, rather than every login failing with a server error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from readingroom.core.exceptions import TooManyRequests

log = logging.getLogger(__name__)


def _fail_open(function: Callable[..., None]) -> Callable[..., None]:
    """Run ``function``; where the cache is unreachable, log it and go on as if nothing were limited."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except (RedisError, OSError):
            log.warning("login limits skipped: the cache is unreachable", exc_info=True)

    return wrapper


def _now() -> float:
    return time.time()


def _key(kind: str, scope: str, value: str) -> str:
    return f"login-{kind}:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _scopes(*, username: str, address: str) -> list[tuple[str, str, int]]:
    return [
        ("account", username.strip().casefold(), settings.LOGIN_MAX_FAILURES_PER_ACCOUNT),
        ("address", address, settings.LOGIN_MAX_FAILURES_PER_IP),
    ]


@_fail_open
def login_allowed_check(*, username: str, address: str) -> None:
    """Raise :class:`TooManyRequests` while the account or the client address is locked."""
    for scope, value, _ in _scopes(username=username, address=address):
        until = cache.get(_key("lock", scope, value))
        if until is not None and until > _now():
            wait = max(1, math.ceil(until - _now()))
            what = "this account" if scope == "account" else "this address"
            raise TooManyRequests(
                f"too many failed logins for {what}; try again in {wait} s", retry_after_s=wait
            )


@_fail_open
def login_failure_record(*, username: str, address: str) -> None:
    """Count a failed login; lock the account or address that reaches its limit."""
    window, lockout = settings.LOGIN_FAILURE_WINDOW_S, settings.LOGIN_LOCKOUT_S
    for scope, value, limit in _scopes(username=username, address=address):
        key = _key("fail", scope, value)
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
        if failures >= limit:
            cache.set(_key("lock", scope, value), _now() + lockout, timeout=lockout)
            cache.delete(key)


@_fail_open
def login_success_record(*, username: str) -> None:
    """Forget the account's failed logins after a successful one."""
    cache.delete(_key("fail", "account", username.strip().casefold()))


def login_lock_clear(*, username: str = "", address: str = "") -> None:
    """Unlock an account and/or an address and forget their failed logins (an administrator's action)."""
    for scope, value, _ in _scopes(username=username, address=address):
        if value:
            cache.delete_many([_key("fail", scope, value), _key("lock", scope, value)])

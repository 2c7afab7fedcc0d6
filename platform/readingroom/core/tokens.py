"""Scoped, expiring, revocable API tokens: create, list, revoke, and check one presented by a client.

Scopes:

- ``api:read``: the API's safe methods (GET, HEAD, OPTIONS) as the token's user;
- ``api:write``: every method of the API as the token's user (reading included);
- ``gaze:write:<session_id>``: stream gaze into that one reading session (the gaze socket's ``?token=``)
  and post its dictation transcripts (``X-Capture-Token``): what a tracker bridge needs, nothing more.

The user's roles still apply: a token never grants what its user may not do. Tokens cannot create or
revoke tokens (that needs a signed-in session or the command line). Every creation, revocation and
refusal of a known token is written to the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from readingroom.core.exceptions import Forbidden, InvalidInput, NotFound
from readingroom.core.models import ApiToken, User
from readingroom.core.services import audit_record

TOKEN_PREFIX = "rrt_"
API_READ, API_WRITE, GAZE_WRITE = "api:read", "api:write", "gaze:write"
SCOPES = (API_READ, API_WRITE, f"{GAZE_WRITE}:<session_id>")
_GAZE_SCOPE = re.compile(r"gaze:write:([1-9][0-9]{0,17})")
_LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256, hex (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def gaze_scope(session_id: int) -> str:
    return f"{GAZE_WRITE}:{session_id}"


def _scopes_clean(scopes: list[str], *, user: User) -> list[str]:
    if not isinstance(scopes, list) or not scopes:
        raise InvalidInput(f"scopes: give one or more of {', '.join(SCOPES)}")
    gaze_sessions = []
    for scope in scopes:
        match = _GAZE_SCOPE.fullmatch(scope) if isinstance(scope, str) else None
        if match:
            gaze_sessions.append(int(match.group(1)))
        elif scope not in (API_READ, API_WRITE):
            raise InvalidInput(f"scopes: unknown scope {scope!r}; known are {', '.join(SCOPES)}")
    if len(gaze_sessions) > 1:
        raise InvalidInput("scopes: a token may write gaze into one session only")
    for session_id in gaze_sessions:
        from readingroom.reading.models import ReadingSession  # the reading app builds on core

        session = ReadingSession.objects.filter(pk=session_id).only("reader_id").first()
        if session is None:
            raise InvalidInput(f"scopes: reading session {session_id} does not exist")
        if session.reader_id != user.pk:
            raise InvalidInput(f"scopes: reading session {session_id} belongs to another reader")
    return sorted(set(scopes))


def token_create(
    *, user: User, scopes: list[str], days: int, name: str = "", created_by: User | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the stored row and the token itself (shown once, never stored).

    ``days`` until it expires: 1 to ``API_TOKEN_MAX_DAYS``. A ``gaze:write`` scope must name a session of
    ``user``'s own.
    """
    longest = settings.API_TOKEN_MAX_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        raise InvalidInput(f"days: a whole number of days from 1 to {longest}")
    if len(name) > 100 or "\x00" in name:
        raise InvalidInput("name: at most 100 characters, no NUL")
    scopes = _scopes_clean(scopes, user=user)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=plain[:12],
        digest=token_digest(plain),
        scopes=scopes,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(actor=created_by or user, action="token.create", target=f"token:{token.pk}",
                 detail={"user": user.get_username(), "scopes": scopes, "days": days})  # fmt: skip
    return token, plain


def tokens_visible(*, user: User, owner: str = "") -> QuerySet[ApiToken]:
    """The tokens ``user`` may see: their own; an administrator's, everyone's (or ``owner``'s)."""
    tokens = ApiToken.objects.select_related("user")
    if not user.has_role("admin"):
        return tokens.filter(user=user)
    return tokens.filter(user__username=owner) if owner else tokens


def token_revoke(*, token_id: int, by: User | None) -> ApiToken:
    """Revoke a token: its own user's, an administrator's, or the command line's (``by`` None).

    Revoking twice keeps the first time.
    """
    tokens = ApiToken.objects.select_related("user") if by is None else tokens_visible(user=by)
    token = tokens.filter(pk=token_id).first() if 0 < token_id < 2**63 else None
    if token is None:
        raise NotFound(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="token.revoke", target=f"token:{token.pk}",
                     detail={"user": token.user.get_username(), "by": "api" if by else "command line"})  # fmt: skip
    return token


def token_find(plain: str) -> ApiToken | None:
    """The token row of a presented token, whatever its state; None when it is not one of ours."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(digest=token_digest(plain)).first()


def _refuse(token: ApiToken, reason: str) -> Forbidden:
    audit_record(
        actor=token.user, action="token.refused", target=f"token:{token.pk}", detail={"reason": reason}
    )
    return Forbidden(f"token {token.prefix}…: {reason}")


def token_check(token: ApiToken, *, scope: str | tuple[str, ...]) -> ApiToken:
    """``token`` if it is live (not revoked, not expired, its user active) and holds ``scope`` (one of)."""
    now = timezone.now()
    if token.revoked_at is not None:
        raise _refuse(token, "revoked")
    if token.expires_at <= now:
        raise _refuse(token, "expired")
    if not token.user.is_active:
        raise _refuse(token, "its user is inactive")
    wanted = (scope,) if isinstance(scope, str) else scope
    if not any(s in token.scopes for s in wanted):
        raise _refuse(token, f"lacks the scope {' or '.join(wanted)}")
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_gaze_session(token: ApiToken) -> int:
    """The session a live token may stream gaze into; :class:`Forbidden` when it may not stream at all."""
    sessions = [int(m.group(1)) for s in token.scopes if (m := _GAZE_SCOPE.fullmatch(s))]
    if not sessions:
        raise _refuse(token, f"lacks the scope {GAZE_WRITE}:<session_id>")
    token_check(token, scope=gaze_scope(sessions[0]))
    return sessions[0]

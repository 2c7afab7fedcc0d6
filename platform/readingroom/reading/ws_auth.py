"""WebSocket authentication by a reading session's capture token (``?token=``), for the local bridge."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator

from readingroom.reading.models import ReadingSession


@database_sync_to_async
def _session_id_for_token(token: str) -> int | None:
    return ReadingSession.objects.filter(capture_token=token).values_list("pk", flat=True).first()


class CaptureTokenMiddleware:
    """Sets ``scope["capture_session_id"]`` when the query string carries a valid capture token."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["capture_session_id"] = None
        tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if tokens and tokens[0]:
            scope["capture_session_id"] = await _session_id_for_token(tokens[0])
        return await self.app(scope, receive, send)


class OriginOrTokenValidator:
    """Browsers must come from an allowed origin; a client without an Origin header needs a capture token.

    The Origin check protects sockets authenticated by the session cookie (another site's page cannot use
    the reader's cookie). A tracker bridge is not a browser and sends no Origin; it authenticates with the
    session's capture token instead, which no other site can know.
    """

    def __init__(self, app):
        self.app = app
        self.origin_checked = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        has_token = bool(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token"))
        if not has_origin and has_token:
            return await self.app(scope, receive, send)
        return await self.origin_checked(scope, receive, send)

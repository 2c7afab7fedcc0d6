"""WebSocket authentication by a token in ``?token=``, for the local bridge.

The token is a session's own capture token, or a scoped API token (``core.tokens``) holding
``gaze:write:<session_id>``; an expired, revoked or unscoped API token is refused with its reason.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from readingroom.core.exceptions import Forbidden
from readingroom.core.tokens import token_find, token_gaze_session
from readingroom.reading.models import ReadingSession


@database_sync_to_async
def _session_id_for_token(token: str) -> tuple[int | None, str | None]:
    """The session the token may stream into, or None and why not (None, None: not a token of ours)."""
    api_token = token_find(token)
    if api_token is not None:
        try:
            return token_gaze_session(api_token), None
        except Forbidden as exc:
            return None, str(exc)
    return ReadingSession.objects.filter(capture_token=token).values_list("pk", flat=True).first(), None


class CaptureTokenMiddleware:
    """Sets ``scope["capture_session_id"]`` when the query string carries a valid token for a session,
    and ``scope["capture_token_error"]`` when it carries an API token that may not stream (and why)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["capture_session_id"] = scope["capture_token_error"] = None
        tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if tokens and tokens[0]:
            scope["capture_session_id"], scope["capture_token_error"] = await _session_id_for_token(tokens[0])
        return await self.app(scope, receive, send)


_DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, lower-case host (IPv6 without brackets), port


def _origin(text: str) -> Origin | None:
    """``scheme://host[:port]`` as a tuple with the port filled in; None when it is not such an origin."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port that is not a number from 0 to 65535
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _own_origin(scope, host_header: str) -> Origin | None:
    """The origin of this server as the request names it (its Host header, checked like Django's)."""
    domain, port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    try:
        number = int(port) if port else _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, domain.strip("[]"), number


def _trusted(origin: Origin) -> bool:
    """``origin`` is one of ``CSRF_TRUSTED_ORIGINS`` (``*.`` entries match subdomains, as Django's do)."""
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = _origin(entry.replace("://*.", "://", 1))
        if trusted is None or trusted[0] != origin[0] or trusted[2] != origin[2]:
            continue
        if origin[1] == trusted[1] or (wildcard and origin[1].endswith("." + trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    """The socket's Origin is this server's own (same scheme, host and port) or a trusted origin.

    The same rule as Django's CSRF origin check: ``Origin`` must equal the scheme and Host of the request
    (a Host that ``ALLOWED_HOSTS`` accepts), or be listed in ``CSRF_TRUSTED_ORIGINS``. The port counts:
    another server on the same host name is another origin.
    """
    headers = dict(scope.get("headers", []))
    origin = _origin(headers.get(b"origin", b"").decode("latin-1"))
    if origin is None:
        return False
    own = _own_origin(scope, headers.get(b"host", b"").decode("latin-1"))
    return origin == own or _trusted(origin)


class OriginOrTokenValidator:
    """Browsers must come from an allowed origin; a client without an Origin header needs a capture token.

    The Origin check protects sockets authenticated by the session cookie (another site's page cannot use
    the reader's cookie). A tracker bridge is not a browser and sends no Origin; it authenticates with the
    session's capture token instead, which no other site can know. A token never excuses a foreign Origin.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        has_token = bool(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token"))
        if (not has_origin and has_token) or (has_origin and origin_allowed(scope)):
            return await self.app(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

"""Every WebSocket route and every message type of the gaze socket, with every role and every kind of token.

Only the session's own reader (by cookie, from this origin) and a bridge holding the session's capture
token or an API token scoped ``gaze:write:<that session>`` may write into it; every other principal is
refused at connection (error, then close 4403), and what it sends afterwards is neither answered nor
stored. The message types come from the consumer (``MESSAGE_TYPES``), the routes from the routing module,
so a new type or route fails the test until it is placed here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from readingroom.asgi import application
from readingroom.core.models import ApiToken
from readingroom.core.services import user_create
from readingroom.core.tokens import gaze_scope, token_create, token_revoke
from readingroom.gaze.models import GazeChunk
from readingroom.reading.consumers import CLOSE_FORBIDDEN, MESSAGE_TYPES
from readingroom.reading.models import ReadingProject, ReadingSession, ViewEvent
from readingroom.reading.services import project_assign, session_start
from readingroom.routing import websocket_urlpatterns
from tests.readingroom.gaze.wsutil import batch, cookie_headers, run

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ("owner", "other_reader", "lead", "curator", "engineer", "admin")
TOKENS = ("capture_token", "gaze_token", "other_session_token", "api_write_token", "expired_token",
          "revoked_token", "wrong_token")  # fmt: skip
PRINCIPALS = ("anonymous", *ROLES, *TOKENS)
WRITERS = {"owner", "capture_token", "gaze_token"}

# (route, message type) -> the principals whose message is answered and stored
POLICY: dict[tuple[str, str], set[str]] = {
    ("ws/gaze/<int:session_id>/", "gaze_batch"): WRITERS,
    ("ws/gaze/<int:session_id>/", "view"): WRITERS,
    ("ws/gaze/<int:session_id>/", "ping"): WRITERS,
}
ANSWER = {"gaze_batch": "ack", "view": "ack", "ping": "pong"}


def test_the_policy_names_every_socket_route_and_message_type():
    routes = {str(p.pattern) for p in websocket_urlpatterns}
    assert set(POLICY) == {(route, kind) for route in routes for kind in MESSAGE_TYPES}


def _message(kind: str, seq: int, image_id: int) -> dict:
    if kind == "gaze_batch":
        return batch(seq, 1000.0 + 1000.0 * seq)
    if kind == "view":
        return {"type": "view", "seq": seq, "t": 5.0 + seq, "image_id": image_id, "image_region": [0, 0, 48, 64],
                "screen_rect": [100, 100, 400, 500], "window_width": 4096, "window_level": 2048, "zoom": 1.0}  # fmt: skip
    return {"type": "ping", "stream": "", "t_client": 1000.0 + seq}


@pytest.fixture
def principals(reading_session, reader, other_reader, image):
    """How each principal connects: (query string, headers)."""
    users = {"owner": reader, "other_reader": other_reader}
    for role in ("lead", "curator", "engineer", "admin"):
        users[role] = user_create(username=f"ws-{role}", password=f"{role}-pass-123", roles=[role])
    project = ReadingProject.objects.create(name="other")
    other_assignment = project_assign(project=project, reader=other_reader, studies=[image.study])[0]
    other_session = session_start(assignment_id=other_assignment.pk, reader=other_reader)
    scope = [gaze_scope(reading_session.pk)]
    tokens = {
        "capture_token": reading_session.capture_token,
        "gaze_token": token_create(user=reader, scopes=scope, days=1)[1],
        "other_session_token": token_create(user=other_reader, scopes=[gaze_scope(other_session.pk)], days=1)[
            1
        ],
        "api_write_token": token_create(user=reader, scopes=["api:write", "api:read"], days=1)[1],
        "wrong_token": "rrt_not-a-token-of-this-server",
    }
    expired, tokens["expired_token"] = token_create(user=reader, scopes=scope, days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, tokens["revoked_token"] = token_create(user=reader, scopes=scope, days=1)
    token_revoke(token_id=revoked.pk, by=reader)
    how = {"anonymous": ("", [(b"host", b"localhost")])}
    how.update({role: ("", cookie_headers(user)) for role, user in users.items()})
    how.update({name: (f"?token={token}", [(b"host", b"localhost")]) for name, token in tokens.items()})
    return how


def _stored(session_id: int) -> tuple[int, int, dict]:
    session = ReadingSession.objects.get(pk=session_id)
    return (GazeChunk.objects.filter(session_id=session_id).count(),
            ViewEvent.objects.filter(session_id=session_id).count(), session.clock_offsets)  # fmt: skip


def test_every_principal_gets_exactly_what_the_policy_allows_for_every_message_type(
    principals, reading_session, image
):
    wrong: list[str] = []
    seq = 0

    async def attempt(path: str, headers, kinds: list[str], allowed_kinds: set[str]) -> list[str]:
        nonlocal seq
        problems = []
        ws = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await ws.connect()
        if connected and not allowed_kinds:
            first = await ws.receive_output(timeout=10)  # the refusal: an error, then the close
            if first["type"] == "websocket.send":
                assert json.loads(first["text"])["type"] == "error"
                first = await ws.receive_output(timeout=10)
            if first != {"type": "websocket.close", "code": CLOSE_FORBIDDEN}:
                problems.append(f"connected, then {first} instead of a close with {CLOSE_FORBIDDEN}")
        for kind in kinds:
            if not connected:
                break
            await ws.send_to(text_data=json.dumps(_message(kind, seq, image.pk)))
            seq += 1
            if kind in allowed_kinds:
                reply = json.loads(await ws.receive_from(timeout=10))
                if reply.get("type") != ANSWER[kind]:
                    problems.append(f"{kind}: {reply} instead of {ANSWER[kind]}")
            elif not await ws.receive_nothing(timeout=0.2):
                problems.append(f"{kind}: answered although refused")
        if connected:
            await ws.disconnect()
        return problems

    for route in {route for route, _ in POLICY}:
        kinds = sorted(kind for r, kind in POLICY if r == route)
        for principal in PRINCIPALS:
            query, headers = principals[principal]
            allowed = {kind for kind in kinds if principal in POLICY[(route, kind)]}
            before = _stored(reading_session.pk)
            path = "/" + route.replace("<int:session_id>", str(reading_session.pk)) + query
            problems = run(attempt(path, headers, kinds, allowed))
            after = _stored(reading_session.pk)
            if not allowed and after != before:
                problems.append(f"stored something although refused: {before} -> {after}")
            if allowed == set(kinds) and (after[0] <= before[0] or after[1] <= before[1]):
                problems.append(f"allowed but nothing stored: {before} -> {after}")
            wrong += [f"{route} as {principal}: {p}" for p in problems]
    assert wrong == []

"""The gaze socket and the bridge's transcript endpoint accept a scoped API token (``gaze:write:<id>``)
as well as the session's capture token; expired, revoked, unscoped and other-session tokens are refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient

from readingroom.asgi import application
from readingroom.core.models import ApiToken, AuditEvent
from readingroom.core.tokens import gaze_scope, token_create, token_revoke
from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ReadingProject
from readingroom.reading.services import project_assign, session_start
from tests.readingroom.gaze.wsutil import batch, run

pytestmark = pytest.mark.django_db(transaction=True)

BRIDGE = [(b"host", b"localhost")]  # a bridge: no Origin header, no cookie


def _stream(session_id: int, token: str) -> dict:
    """Connect as a bridge and send one batch: the first reply (an ack, or the refusal's error)."""

    async def attempt():
        ws = WebsocketCommunicator(application, f"/ws/gaze/{session_id}/?token={token}", headers=BRIDGE)
        connected, _ = await ws.connect()
        assert connected
        await ws.send_to(text_data=json.dumps(batch(0, 1000.0)))
        reply = json.loads(await ws.receive_from(timeout=10))
        await ws.disconnect()
        return reply

    return run(attempt())


def test_a_session_scoped_token_streams_into_its_session_only(reading_session, reader, other_reader, image):
    _, plain = token_create(user=reader, scopes=[gaze_scope(reading_session.pk)], days=1)
    assert _stream(reading_session.pk, plain)["type"] == "ack"
    assert _stream(reading_session.pk, reading_session.capture_token)["type"] == "ack"  # the old token too

    project = ReadingProject.objects.create(name="Other project")
    other_assignment = project_assign(project=project, reader=other_reader, studies=[image.study])[0]
    other = session_start(assignment_id=other_assignment.pk, reader=other_reader)
    refused = _stream(other.pk, plain)
    assert refused["type"] == "error" and "another reading session" in refused["reason"]
    assert not GazeChunk.objects.filter(session=other).exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "api_only"])
def test_expired_revoked_and_unscoped_tokens_are_refused_and_audited(reading_session, reader, state):
    scopes = ["api:write"] if state == "api_only" else [gaze_scope(reading_session.pk)]
    row, plain = token_create(user=reader, scopes=scopes, days=1)
    if state == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    if state == "revoked":
        token_revoke(token_id=row.pk, by=reader)
    refused = _stream(reading_session.pk, plain)
    assert refused["type"] == "error"
    reason = "lacks the scope gaze:write" if state == "api_only" else state
    assert reason in refused["reason"]
    event = AuditEvent.objects.get(action="token.refused", target=f"token:{row.pk}")
    assert reason in event.detail["reason"]


def test_the_transcript_endpoint_takes_the_scoped_token_in_the_capture_header(reading_session, reader):
    _, plain = token_create(user=reader, scopes=[gaze_scope(reading_session.pk)], days=1)
    client = APIClient()
    body = {"words": [{"word": "clear", "start_ms": 0.0, "end_ms": 300.0}]}
    url = f"/api/sessions/{reading_session.pk}/transcripts/"
    accepted = client.post(url, body, format="json", HTTP_X_CAPTURE_TOKEN=plain)
    assert accepted.status_code == 201, accepted.json()
    row, revoked = token_create(user=reader, scopes=[gaze_scope(reading_session.pk)], days=1)
    token_revoke(token_id=row.pk, by=reader)
    assert client.post(url, body, format="json", HTTP_X_CAPTURE_TOKEN=revoked).status_code == 403
    _, api_only = token_create(user=reader, scopes=["api:write"], days=1)
    assert client.post(url, body, format="json", HTTP_X_CAPTURE_TOKEN=api_only).status_code == 403

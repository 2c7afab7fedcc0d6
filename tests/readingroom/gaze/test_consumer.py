"""The gaze WebSocket: acknowledgement after storage, exactly-once storage, and rejection with reasons."""

from __future__ import annotations

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from readingroom.asgi import application
from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ViewEvent
from tests.readingroom.gaze.wsutil import batch as _batch
from tests.readingroom.gaze.wsutil import connect as _connect
from tests.readingroom.gaze.wsutil import cookie_headers as _cookie_headers
from tests.readingroom.gaze.wsutil import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_batches_are_acknowledged_and_stored_once_in_order(reading_session, reader):
    headers = _cookie_headers(reader)

    async def scenario():
        ws = await _connect(f"/ws/gaze/{reading_session.pk}/", headers)
        replies = []
        for seq in (1, 0, 1, 2):  # out of order, and seq 1 resent
            t0 = seq * 200.0
            await ws.send_json_to(_batch(seq, t0))
            replies.append(await ws.receive_json_from(timeout=5))
        await ws.disconnect()
        return replies

    replies = run(scenario())
    assert replies == [{"type": "ack", "seq": s} for s in (1, 0, 1, 2)]
    chunks = list(GazeChunk.objects.filter(session=reading_session).order_by("seq"))
    assert [c.seq for c in chunks] == [0, 1, 2]
    data = np.concatenate([np.frombuffer(bytes(c.data), "<f8").reshape(4, -1) for c in chunks], axis=1)
    assert np.all(np.diff(data[0]) > 0)
    assert data.shape[1] == 150


def test_bad_schema_gets_an_error_and_the_socket_stays_usable(reading_session, reader):
    headers = _cookie_headers(reader)

    async def scenario():
        ws = await _connect(f"/ws/gaze/{reading_session.pk}/", headers)
        await ws.send_json_to(
            {"type": "gaze_batch", "seq": 5, "samples": {"t": [1, 0], "x": [1, 1], "y": [1, 1]}}
        )
        error = await ws.receive_json_from(timeout=5)
        await ws.send_to(text_data="{not json")
        not_json = await ws.receive_json_from(timeout=5)
        await ws.send_json_to(_batch(6, 0.0))
        ack = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return error, not_json, ack

    error, not_json, ack = run(scenario())
    assert error["type"] == "error" and error["seq"] == 5 and "goes back in time" in error["reason"]
    assert not_json["seq"] is None and not_json["reason"].startswith("message is not valid JSON")
    assert ack == {"type": "ack", "seq": 6}
    assert GazeChunk.objects.filter(session=reading_session).count() == 1


def test_unauthenticated_socket_is_rejected_with_a_reason(reading_session):
    async def scenario():
        ws = await _connect(
            f"/ws/gaze/{reading_session.pk}/", [(b"origin", b"http://localhost"), (b"host", b"localhost")]
        )
        message = await ws.receive_json_from(timeout=5)
        closed = await ws.receive_output(timeout=5)
        return message, closed

    message, closed = run(scenario())
    assert message["type"] == "error" and "not authenticated" in message["reason"]
    assert closed["type"] == "websocket.close" and closed["code"] == 4403


def test_other_readers_session_is_rejected_and_the_owner_is_unaffected(reading_session, reader, other_reader):
    owner_headers, intruder_headers = _cookie_headers(reader), _cookie_headers(other_reader)

    async def scenario():
        owner = await _connect(f"/ws/gaze/{reading_session.pk}/", owner_headers)
        intruder = await _connect(f"/ws/gaze/{reading_session.pk}/", intruder_headers)
        rejection = await intruder.receive_json_from(timeout=5)
        await owner.send_json_to(_batch(0, 0.0))
        ack = await owner.receive_json_from(timeout=5)
        await owner.disconnect()
        return rejection, ack

    rejection, ack = run(scenario())
    assert "belongs to another reader" in rejection["reason"]
    assert ack == {"type": "ack", "seq": 0}


def test_capture_token_authenticates_the_bridge(reading_session):
    async def scenario():
        path = f"/ws/gaze/{reading_session.pk}/?token={reading_session.capture_token}"
        ws = await _connect(path, [])  # a bridge is no browser: no Origin header
        await ws.send_json_to({"type": "ping", "t_client": 1000.0, "stream": "bridge-1"})
        pong = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return pong

    pong = run(scenario())
    assert pong["type"] == "pong" and pong["t_client"] == 1000.0
    reading_session.refresh_from_db()
    offset = reading_session.clock_offsets["bridge-1"]
    assert offset["pings"] == 1
    assert offset["offset_ms"] == pytest.approx(pong["t_server"] - 1000.0)


def test_view_events_are_acknowledged_and_checked_against_the_study(reading_session, reader, image):
    headers = _cookie_headers(reader)
    view = {"type": "view", "seq": 0, "t": 5.0, "image_id": image.pk, "image_region": [0, 0, 48, 64],
            "screen_rect": [100, 100, 400, 500], "window_width": 4096, "window_level": 2048, "zoom": 1.0}  # fmt: skip

    async def scenario():
        ws = await _connect(f"/ws/gaze/{reading_session.pk}/", headers)
        await ws.send_json_to(view)
        ack = await ws.receive_json_from(timeout=5)
        await ws.send_json_to({**view, "seq": 1, "image_id": image.pk + 999})
        error = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return ack, error

    ack, error = run(scenario())
    assert ack == {"type": "ack", "kind": "view", "seq": 0}
    assert "not an image of this session's study" in error["reason"] and error["kind"] == "view"
    assert ViewEvent.objects.filter(session=reading_session).count() == 1


def test_submitted_session_takes_no_more_gaze(reading_session, reader):
    from readingroom.reading.models import ReadingSession

    headers = _cookie_headers(reader)

    async def scenario():
        ws = await _connect(f"/ws/gaze/{reading_session.pk}/", headers)
        await database_sync_to_async(ReadingSession.objects.filter(pk=reading_session.pk).update)(
            status=ReadingSession.Status.SUBMITTED
        )
        await ws.send_json_to(_batch(0, 0.0))
        reply = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return reply

    reply = run(scenario())
    assert reply["type"] == "error" and "is closed" in reply["reason"]


def test_cookie_socket_needs_an_allowed_origin(reading_session, reader):
    cookie = [h for h in _cookie_headers(reader) if h[0] == b"cookie"]

    async def attempt(headers):
        communicator = WebsocketCommunicator(application, f"/ws/gaze/{reading_session.pk}/", headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert run(attempt(cookie)) is False  # no Origin, no token
    assert run(attempt([*cookie, (b"origin", b"http://evil.example")])) is False
    assert run(attempt([*cookie, (b"origin", b"http://localhost"), (b"host", b"localhost")])) is True

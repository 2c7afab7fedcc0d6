"""Limits of the gaze WebSocket: message size, the per-session rate budget, and MessagePack frames."""

from __future__ import annotations

import json

import msgpack
import numpy as np
import pytest

from readingroom.gaze import ratelimit
from readingroom.gaze.models import GazeChunk
from readingroom.gaze.ratelimit import TokenBucket
from tests.readingroom.gaze.wsutil import batch, connect, cookie_headers, reply_to, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_budgets(monkeypatch):
    """Budgets outlive sockets by design; each test starts without those of earlier tests."""
    monkeypatch.setattr(ratelimit, "_session_budgets", {})


def test_an_oversized_message_is_refused_before_it_is_read(reading_session, reader, settings):
    settings.GAZE_MAX_MESSAGE_BYTES = 4096
    headers = cookie_headers(reader)
    big = json.dumps(batch(0, 0.0, n=400))
    assert len(big) > 4096

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        error = await reply_to(ws, big)
        ack = await reply_to(ws, json.dumps(batch(1, 0.0, n=20)))
        await ws.disconnect()
        return error, ack

    error, ack = run(scenario())
    assert error["type"] == "error" and error["seq"] is None
    assert f"message of {len(big)} bytes is larger than the limit of 4096 bytes" in error["reason"]
    assert ack == {"type": "ack", "seq": 1}
    assert list(GazeChunk.objects.values_list("seq", flat=True)) == [1]


def test_the_rate_limit_is_per_session_and_says_when_to_resend(reading_session, reader, settings):
    message = json.dumps(batch(0, 0.0, n=50))
    # A budget of two such messages that refills by one byte per second: nothing refills during the test.
    settings.GAZE_RATE_LIMIT_BYTES_PER_S = 1
    settings.GAZE_RATE_LIMIT_BURST_BYTES = 2 * (len(message) + 512) + 100
    headers = cookie_headers(reader)

    async def scenario():
        first = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        second = await connect(f"/ws/gaze/{reading_session.pk}/", headers)  # same session, same budget
        replies = [await reply_to(first, message.replace('"seq": 0', f'"seq": {k}')) for k in range(2)]
        replies.append(await reply_to(second, message.replace('"seq": 0', '"seq": 2')))
        for ws in (first, second):
            await ws.disconnect()
        return replies

    replies = run(scenario())
    assert replies[:2] == [{"type": "ack", "seq": 0}, {"type": "ack", "seq": 1}]
    limited = replies[2]
    assert limited["type"] == "error" and limited["seq"] is None and "rate limit" in limited["reason"]
    assert limited["retry_after_ms"] > 1000  # at one byte per second
    assert GazeChunk.objects.count() == 2


def test_token_bucket_refills_at_its_rate_up_to_its_burst():
    now = [0.0]
    bucket = TokenBucket(rate=100.0, burst=500.0, clock=lambda: now[0])
    assert bucket.take(400) == 0.0
    assert bucket.take(200) == pytest.approx(1.0)  # 100 missing at 100/s; nothing taken
    now[0] = 1.0
    assert bucket.take(200) == 0.0
    now[0] = 100.0
    assert bucket.take(501) == pytest.approx(0.01)  # never more than the burst


def test_messagepack_frames_with_binary_arrays_are_stored_and_answered_in_kind(reading_session, reader):
    headers = cookie_headers(reader)
    t = np.arange(50) * 4.0
    x = np.full(50, 100.0)
    x[3] = np.nan  # a lost sample
    samples = {"t": t.astype("<f8").tobytes(), "x": x.astype("<f8").tobytes(),
               "y": np.full(50, 50.0).tobytes(), "valid": np.ones(50, np.uint8).tobytes()}  # fmt: skip
    frame = msgpack.packb(
        {"type": "gaze_batch", "stream": "bridge-1", "seq": 0, "device": "d", "samples": samples}
    )
    lists = msgpack.packb({"type": "gaze_batch", "stream": "bridge-1", "seq": 1, "device": "d",
                           "samples": {"t": (t + 200).tolist(), "x": [1.0] * 50, "y": [2.0] * 50}})  # fmt: skip
    bad = msgpack.packb(
        {"type": "gaze_batch", "seq": 2, "device": "d", "samples": {**samples, "t": b"\0" * 7}}
    )

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        replies = []
        for data in (frame, lists, bad, b"\xc1"):
            await ws.send_to(bytes_data=data)
            replies.append(msgpack.unpackb(await ws.receive_from(timeout=10)))
        await ws.disconnect()
        return replies

    acks = run(scenario())
    assert acks[:2] == [{"type": "ack", "seq": 0}, {"type": "ack", "seq": 1}]
    assert acks[2]["type"] == "error" and "samples.t bytes must be little-endian float64" in acks[2]["reason"]
    assert acks[3]["type"] == "error" and "not valid MessagePack" in acks[3]["reason"]
    chunk = GazeChunk.objects.get(seq=0)
    data = np.frombuffer(bytes(chunk.data), "<f8").reshape(4, -1)
    assert np.array_equal(data[0], t) and data[3].tolist() == [1.0] * 3 + [0.0] + [1.0] * 46


def test_a_socket_that_ignores_the_rate_limit_is_closed(reading_session, reader, settings):
    message = json.dumps(batch(0, 0.0, n=50))
    settings.GAZE_RATE_LIMIT_BYTES_PER_S = 1
    settings.GAZE_RATE_LIMIT_BURST_BYTES = len(message) + 600  # one message; two refused ones
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        replies = [await reply_to(ws, message.replace('"seq": 0', f'"seq": {k}')) for k in range(3)]
        await ws.send_to(text_data=message)
        closed = await ws.receive_output(timeout=10)
        return replies, closed

    replies, closed = run(scenario())
    assert replies[0] == {"type": "ack", "seq": 0}
    assert all(r["type"] == "error" and "rate limit" in r["reason"] for r in replies[1:])
    assert closed["type"] == "websocket.close" and closed["code"] == 4429


def test_reconnecting_does_not_refill_the_budget(reading_session, reader, settings):
    message = json.dumps(batch(0, 0.0, n=50))
    settings.GAZE_RATE_LIMIT_BYTES_PER_S = 1
    settings.GAZE_RATE_LIMIT_BURST_BYTES = len(message) + 600  # one message
    headers = cookie_headers(reader)

    async def scenario():
        replies = []
        for k in range(2):
            ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
            replies.append(await reply_to(ws, message.replace('"seq": 0', f'"seq": {k}')))
            await ws.disconnect()
        return replies

    first, second = run(scenario())
    assert first == {"type": "ack", "seq": 0}
    assert second["type"] == "error" and "rate limit" in second["reason"]

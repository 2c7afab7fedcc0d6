"""Group commit of gaze batches: a batch the database refuses fails alone; acks follow the commit."""

from __future__ import annotations

import asyncio
import json
import threading

import numpy as np
import pytest
from django.db import DataError, OperationalError

from readingroom.core.exceptions import InvalidInput
from readingroom.gaze import ingest
from readingroom.gaze.batches import GazeBatch
from readingroom.gaze.models import GazeChunk
from readingroom.reading.consumers import GazeConsumer
from tests.readingroom.gaze.wsutil import batch, connect, cookie_headers, reply_to, run

pytestmark = pytest.mark.django_db(transaction=True)


def _gaze_batch(seq: int, stream: str) -> GazeBatch:
    t = np.arange(10, dtype=np.float64)
    return GazeBatch(seq=seq, device="test", data=np.stack([t, t, t, np.ones(10)]), stream=stream)


def test_a_batch_the_database_refuses_fails_alone_and_the_others_of_its_commit_are_stored(reading_session):
    # Validation keeps such values out; this batch bypasses it to prove the commit itself isolates a failure
    # (an integer beyond the column: PostgreSQL's "integer out of range", SQLite's overflow).
    good, poisoned = _gaze_batch(0, "good"), _gaze_batch(2**64, "poisoned")

    async def scenario():
        writer = ingest.ChunkWriter()
        # Both are queued before the writer runs, so they share one commit.
        return await asyncio.gather(
            writer.store(session_id=reading_session.pk, batch=good),
            writer.store(session_id=reading_session.pk, batch=poisoned),
            return_exceptions=True,
        )

    ok, refused = run(scenario())
    assert ok is None
    assert isinstance(refused, InvalidInput) and "could not be stored" in str(refused)
    assert list(GazeChunk.objects.values_list("stream", "seq")) == [("good", 0)]


def test_no_ack_when_the_commit_fails(reading_session, reader, monkeypatch):
    def failing_store(items):
        raise DataError("disk says no")

    monkeypatch.setattr(ingest, "chunks_store", failing_store)
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        reply = await reply_to(ws, json.dumps(batch(4, 0.0)))
        await ws.disconnect()
        return reply

    reply = run(scenario())
    assert reply["type"] == "error" and reply["seq"] == 4 and "disk says no" in reply["reason"]
    assert not GazeChunk.objects.exists()


def test_an_unreachable_database_closes_the_socket_so_the_sender_resends(
    reading_session, reader, monkeypatch
):
    def unreachable(items):
        raise OperationalError("connection refused")

    monkeypatch.setattr(ingest, "chunks_store", unreachable)
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        await ws.send_to(text_data=json.dumps(batch(4, 0.0)))
        return await ws.receive_output(timeout=10)

    closed = run(scenario())
    assert closed == {"type": "websocket.close", "code": 4503}  # no ack, no error: keep it and resend


def test_the_ack_is_sent_after_the_commit_returns(reading_session, reader, monkeypatch):
    events: list[str] = []
    real_store, real_send = ingest.chunks_store, GazeConsumer.send

    def recording_store(items):
        result = real_store(items)
        events.append(f"committed {[b.seq for _, b in items]}")
        return result

    async def recording_send(self, text_data=None, bytes_data=None, close=False):
        events.append(f"sent {json.loads(text_data)['type']}")
        await real_send(self, text_data=text_data, bytes_data=bytes_data, close=close)

    monkeypatch.setattr(ingest, "chunks_store", recording_store)
    monkeypatch.setattr(GazeConsumer, "send", recording_send)
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        replies = [await reply_to(ws, json.dumps(batch(seq, seq * 400.0))) for seq in (0, 1)]
        await ws.disconnect()
        return replies

    assert run(scenario()) == [{"type": "ack", "seq": 0}, {"type": "ack", "seq": 1}]
    assert events == ["committed [0]", "sent ack", "committed [1]", "sent ack"]


def test_a_commit_does_not_wait_for_the_database_thread_other_socket_work_holds(reading_session):
    # Channels runs every other database call of the process (socket authorisation, view events) in one
    # shared thread; a burst of them must not hold back the acknowledgements of the sockets already streaming.
    from asgiref.sync import sync_to_async

    release = threading.Event()

    async def scenario():
        blocker = asyncio.ensure_future(sync_to_async(release.wait, thread_sensitive=True)(20))
        await asyncio.sleep(0.2)  # the shared thread is now busy
        try:
            await asyncio.wait_for(
                ingest.ChunkWriter().store(session_id=reading_session.pk, batch=_gaze_batch(0, "beside")),
                timeout=10,
            )
            committed_while_busy = not blocker.done()
        finally:
            release.set()
            await blocker
        return committed_while_busy

    assert run(scenario()) is True
    assert list(GazeChunk.objects.values_list("stream", "seq")) == [("beside", 0)]

"""The gaze capture WebSocket: routes messages to the gaze services and acknowledges what was stored.

Protocol (JSON text frames):
- ``{"type": "gaze_batch", "seq", "device", "samples": {"t", "x", "y", "valid"}}`` -> ``{"type": "ack", "seq"}``
- ``{"type": "view", "seq", "t", "image_id", "image_region", "screen_rect", ...}``
  -> ``{"type": "ack", "kind": "view", "seq"}``
- ``{"type": "ping", "t_client", "stream"}`` -> ``{"type": "pong", "t_client", "t_server"}``
Every message may carry ``"stream"``: the sender's random id for this run of it (a page load, a bridge
process). Seq numbers count per stream, and each stream's clock offset is estimated from its pings.
- server push: ``{"type": "results", "session_id", ...}`` when the worker finishes the gaze analysis or
  the prediction, or a submit changes what the reader may see (see ``reading.events``)
- anything invalid -> ``{"type": "error", "seq": seq-or-null, "reason"}`` (with ``"kind": "view"`` for a
  view event); the socket stays open.
An acknowledgement is sent only after the batch is committed (batches of all connections are committed
together, see ``gaze.ingest``); a resent batch is acknowledged again and stored once.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from readingroom.core.exceptions import ReadingRoomError
from readingroom.gaze import services as gaze_services
from readingroom.gaze.batches import parse_gaze_batch, parse_stream
from readingroom.gaze.ingest import chunk_writer
from readingroom.reading.events import results_relay_ensure, session_group

CLOSE_FORBIDDEN = 4403


class GazeConsumer(AsyncWebsocketConsumer):
    session_id: int | None = None

    async def connect(self) -> None:
        await self.accept()
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        try:
            self.session_id = await database_sync_to_async(gaze_services.capture_session_authorise)(
                session_id=session_id,
                user=self.scope.get("user"),
                token_session_id=self.scope.get("capture_session_id"),
            )
        except ReadingRoomError as exc:
            await self._send({"type": "error", "seq": None, "reason": str(exc)})
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self._join_results_group()

    async def _join_results_group(self) -> None:
        """Receive the session's results events (only an authorised socket of the session joins)."""
        if self.channel_layer is not None:
            await self.channel_layer.group_add(session_group(self.session_id), self.channel_name)
            results_relay_ensure(self.channel_layer)

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None and self.channel_layer is not None:
            await self.channel_layer.group_discard(session_group(self.session_id), self.channel_name)

    async def session_results(self, event: dict[str, Any]) -> None:
        """Route a ``session.results`` event (built and masked by ``reading.events``) to the client."""
        await self._send(event["message"])

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session_id is None:
            return
        try:
            message = json.loads(text_data if text_data is not None else bytes_data or b"")
        except (json.JSONDecodeError, UnicodeDecodeError):
            await self._send({"type": "error", "seq": None, "reason": "message is not valid JSON"})
            return
        if not isinstance(message, dict):
            await self._send({"type": "error", "seq": None, "reason": "message must be a JSON object"})
            return
        kind = message.get("type")
        seq = message.get("seq") if isinstance(message.get("seq"), int) else None
        try:
            if kind == "gaze_batch":
                batch = parse_gaze_batch(message, max_samples=settings.GAZE_MAX_SAMPLES_PER_BATCH)
                seq = batch.seq
                await chunk_writer().store(session_id=self.session_id, batch=batch)
                await self._send({"type": "ack", "seq": seq})
            elif kind == "view":
                seq, _ = await database_sync_to_async(gaze_services.view_event_store)(
                    session_id=self.session_id, message=message
                )
                await self._send({"type": "ack", "kind": "view", "seq": seq})
            elif kind == "ping":
                await self._pong(message)
            else:
                await self._send({"type": "error", "seq": seq, "reason": f"unknown message type {kind!r}"})
        except ReadingRoomError as exc:
            error = {"type": "error", "seq": seq, "reason": str(exc)}
            if kind == "view":
                error["kind"] = "view"  # view events have their own seq counter
            await self._send(error)

    async def _pong(self, message: dict[str, Any]) -> None:
        t_server = time.time() * 1000.0
        t_client = message.get("t_client")
        if not isinstance(t_client, int | float) or isinstance(t_client, bool):
            await self._send({"type": "error", "seq": None, "reason": "ping needs a numeric t_client (ms)"})
            return
        await self._send({"type": "pong", "t_client": t_client, "t_server": t_server})
        await database_sync_to_async(gaze_services.clock_sample_record)(
            session_id=self.session_id,
            stream=parse_stream(message),
            t_client_ms=float(t_client),
            t_server_ms=t_server,
        )

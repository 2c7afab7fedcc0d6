"""The gaze capture WebSocket: routes messages to the gaze services and acknowledges what was stored.

Protocol (JSON text frames, or MessagePack binary frames with the same keys, see ``gaze.wire``):
- ``{"type": "gaze_batch", "seq", "device", "samples": {"t", "x", "y", "valid"}}`` -> ``{"type": "ack", "seq"}``
- ``{"type": "view", "seq", "t", "image_id", "image_region", "screen_rect", ...}``
  -> ``{"type": "ack", "kind": "view", "seq"}``
- ``{"type": "ping", "t_client", "stream"}`` -> ``{"type": "pong", "t_client", "t_server"}``
Every message may carry ``"stream"``: the sender's random id for this run of it (a page load, a bridge
process). Seq numbers count per stream, and each stream's clock offset is estimated from its pings.
- server push: ``{"type": "results", "session_id", ...}`` when the worker finishes the gaze analysis or
  the prediction, or a submit changes what the reader may see (see ``reading.events``)
- anything invalid -> ``{"type": "error", "seq": seq-or-null, "reason"}`` (with ``"kind": "view"`` for a
  view event); the socket stays open. A message over ``GAZE_MAX_MESSAGE_BYTES`` or over the session's rate
  budget is refused before it is decoded (``seq`` null; ``retry_after_ms`` for the rate limit); a socket
  that goes on sending what is refused beyond the session's allowance (``gaze.ratelimit``) is closed (4429).
An acknowledgement is sent only after the batch is committed (batches of all connections are committed
together, see ``gaze.ingest``); a resent batch is acknowledged again and stored once. When the database is
unreachable the socket is closed with 4503 (try again later): the sender reconnects and resends.

The capture path never touches the channel layer (Redis in production): a Redis restart cannot drop a gaze
socket, and no gaze message waits for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError

from readingroom.core.exceptions import InvalidInput, NotFound, ReadingRoomError
from readingroom.gaze import services as gaze_services
from readingroom.gaze.batches import (
    ID_MAX,
    TIME_MAX_MS,
    finite_number,
    message_seq,
    parse_gaze_batch,
    parse_stream,
)
from readingroom.gaze.ingest import chunk_writer
from readingroom.gaze.ratelimit import MESSAGE_OVERHEAD_BYTES, SessionBudget, session_budget
from readingroom.gaze.wire import frame_decode, frame_size, reply_encode
from readingroom.reading.events import results_subscribe, results_unsubscribe

log = logging.getLogger(__name__)

# Application close codes (daphne sends only 1000 and 3000-4999), after the HTTP statuses they stand for.
CLOSE_FORBIDDEN = 4403
CLOSE_RATE_LIMIT_IGNORED = 4429
CLOSE_TRY_AGAIN_LATER = 4503
# Every message type the gaze socket handles (the permission matrix test walks them all).
MESSAGE_TYPES = ("gaze_batch", "view", "ping")


class GazeConsumer(AsyncWebsocketConsumer):
    # An alias with no configured layer: Channels then gives this consumer no channel layer, so it never
    # subscribes to Redis (whose restart would otherwise end every capture socket with 1011).
    channel_layer_alias = "gaze-capture-uses-no-channel-layer"

    session_id: int | None = None
    results_session_id: int | None = None  # the session whose results this socket receives
    budget: SessionBudget | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch closes stale database connections before every message, through the one
        # thread that also runs the gaze commits: each message would queue behind them. Every database call
        # here goes through database_sync_to_async, which closes stale connections itself.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        await self.accept()
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        try:
            if session_id > ID_MAX:
                raise NotFound(f"reading session {session_id} does not exist")
            self.session_id = await database_sync_to_async(gaze_services.capture_session_authorise)(
                session_id=session_id,
                user=self.scope.get("user"),
                token_session_id=self.scope.get("capture_session_id"),
                token_error=self.scope.get("capture_token_error"),
            )
        except ReadingRoomError as exc:
            await self._reply({"type": "error", "seq": None, "reason": str(exc)}, binary=False)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.budget = session_budget(
            session_id=self.session_id,
            rate=settings.GAZE_RATE_LIMIT_BYTES_PER_S,
            burst=settings.GAZE_RATE_LIMIT_BURST_BYTES,
        )
        self.results_session_id = self.session_id
        results_subscribe(self.session_id, self)

    async def disconnect(self, code: int) -> None:
        if self.results_session_id is not None:
            results_unsubscribe(self.results_session_id, self)
            self.results_session_id = None

    async def results_deliver(self, message: dict[str, Any]) -> None:
        """Send a ``results`` message (built and masked by ``reading.events``) to the client."""
        await self._reply(message, binary=False)

    async def _reply(self, message: dict[str, Any], *, binary: bool) -> None:
        await self.send(**reply_encode(message, binary=binary))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session_id is None or self.budget is None:
            return
        binary = text_data is None
        size = frame_size(text_data, bytes_data)
        cost = size + MESSAGE_OVERHEAD_BYTES
        limit = settings.GAZE_MAX_MESSAGE_BYTES
        if size > limit:
            reason = (
                f"message of {size} bytes is larger than the limit of {limit} bytes; send smaller batches"
            )
            await self._refuse(reason, cost=cost, binary=binary)
            return
        wait_s = self.budget.accepted.take(cost)
        if wait_s > 0:
            retry_ms = max(1, int(wait_s * 1000.0 + 0.999))
            reason = (
                f"rate limit: this session may send {settings.GAZE_RATE_LIMIT_BYTES_PER_S} bytes/s "
                f"(burst {settings.GAZE_RATE_LIMIT_BURST_BYTES}); message dropped, resend in {retry_ms} ms"
            )
            await self._refuse(reason, cost=cost, binary=binary, retry_after_ms=retry_ms)
            return
        try:
            frame = frame_decode(text_data, bytes_data)
        except InvalidInput as exc:
            await self._reply({"type": "error", "seq": None, "reason": str(exc)}, binary=binary)
            return
        await self._handle(frame.message, binary=frame.binary)

    async def _refuse(self, reason: str, *, cost: int, binary: bool, **extra: Any) -> None:
        """Refuse a message unread; close a socket that keeps sending what is refused."""
        if self.budget is not None and self.budget.refused.take(cost) > 0:
            # A sender that ignores the refusals would keep the server busy reading what it then drops.
            log.warning("gaze session %s: closing a socket that ignores its refusals", self.session_id)
            await self.close(code=CLOSE_RATE_LIMIT_IGNORED, reason="rate limit ignored")
            self.session_id = None  # read nothing more from it
            return
        await self._reply({"type": "error", "seq": None, "reason": reason, **extra}, binary=binary)

    async def _handle(self, message: dict[str, Any], *, binary: bool) -> None:
        kind = message.get("type")
        seq = message_seq(message)
        try:
            if kind not in MESSAGE_TYPES:
                raise InvalidInput(f"unknown message type {str(kind)[:64]!r}")
            if kind == "gaze_batch":
                batch = parse_gaze_batch(message, max_samples=settings.GAZE_MAX_SAMPLES_PER_BATCH)
                await chunk_writer().store(session_id=self.session_id, batch=batch)
                await self._reply({"type": "ack", "seq": batch.seq}, binary=binary)
            elif kind == "view":
                seq, _ = await database_sync_to_async(gaze_services.view_event_store)(
                    session_id=self.session_id, message=message
                )
                await self._reply({"type": "ack", "kind": "view", "seq": seq}, binary=binary)
            else:  # "ping"
                await self._pong(message, binary=binary)
        except ReadingRoomError as exc:
            error = {"type": "error", "seq": seq, "reason": str(exc)}
            if kind == "view":
                error["kind"] = "view"  # view events have their own seq counter
            await self._reply(error, binary=binary)
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable: nothing was stored. Closing makes the sender reconnect and resend
            # what it keeps unacknowledged; an error reply would make it drop the batch.
            log.warning("gaze session %s: database unavailable (%s); closing with 4503", self.session_id, exc)
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def _pong(self, message: dict[str, Any], *, binary: bool) -> None:
        t_server = time.time() * 1000.0
        t_client = finite_number(message.get("t_client"), "t_client", bound=TIME_MAX_MS)
        stream = parse_stream(message)
        await self._reply({"type": "pong", "t_client": t_client, "t_server": t_server}, binary=binary)
        await database_sync_to_async(gaze_services.clock_sample_record)(
            session_id=self.session_id, stream=stream, t_client_ms=t_client, t_server_ms=t_server
        )

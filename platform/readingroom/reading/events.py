"""Events pushed to a session's WebSocket group after commit (the consumer only routes them).

``{"type": "results", "session_id", ...}``: the session's results payload (gaze analysis, heatmap URL, the
model's 14 probabilities, report draft, attention URL, agreement per observation), masked by the arm's
rules (:mod:`readingroom.reading.arms`), sent when the worker finishes the gaze analysis or the prediction,
and when a submit changes what the reader may see.

With a shared channel layer (Redis) the sender, worker or web process, sends on it directly. With the
embedded mode's in-memory layer, which lives in one process, the sender stores a :class:`ResultsEvent` row
instead, and a relay task in the web process (started by the first socket) sends the rows' results on its
own layer every :data:`RELAY_INTERVAL_S` seconds: the worker's events then reach the browser too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

# The channel-layer message type; Channels calls the consumer's ``session_results`` handler for it.
RESULTS_EVENT = "session.results"
RELAY_INTERVAL_S = 0.5
_relays: dict[int, asyncio.Task] = {}  # one relay task per event loop of this process


def session_group(session_id: int) -> str:
    """The channel-layer group of a session's sockets."""
    return f"reading-session-{session_id}"


def _results_message(session_id: int) -> dict[str, Any] | None:
    from readingroom.reading.models import ReadingSession
    from readingroom.reading.results import session_results

    session = ReadingSession.objects.select_related("assignment__arm").filter(pk=session_id).first()
    return None if session is None else session_results(session=session)


def _process_local(layer: Any) -> bool:
    return isinstance(layer, InMemoryChannelLayer)


def results_push(*, session_id: int) -> bool:
    """Send the session's (masked) results to its sockets now (or leave them for the relay, see the module's
    docstring); False when there is no channel layer or the send failed (logged: the results stay available
    from the results endpoint)."""
    from readingroom.reading.models import ResultsEvent

    layer = get_channel_layer()
    if layer is None:
        return False
    if _process_local(layer):
        ResultsEvent.objects.create(session_id=session_id)
        return True
    message = _results_message(session_id)
    if message is None:
        return False
    try:
        async_to_sync(layer.group_send)(
            session_group(session_id), {"type": RESULTS_EVENT, "message": message}
        )
    except Exception:  # noqa: BLE001 - a down channel layer must not fail the worker's task or the submit
        log.warning("could not push the results of session %s to its sockets", session_id, exc_info=True)
        return False
    return True


def results_push_on_commit(*, session_id: int) -> None:
    """Push the session's results once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: results_push(session_id=session_id))


def _take_pending() -> list[dict[str, Any]]:
    """Claim the stored events: delete them and return one results message per session."""
    from readingroom.reading.models import ResultsEvent

    with transaction.atomic():
        rows = list(ResultsEvent.objects.values_list("id", "session_id"))
        if not rows:
            return []
        ResultsEvent.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
    messages = (_results_message(session_id) for session_id in dict.fromkeys(s for _, s in rows))
    return [m for m in messages if m is not None]


async def _relay(layer: Any) -> None:
    while True:
        try:
            for message in await database_sync_to_async(_take_pending)():
                await layer.group_send(
                    session_group(message["session_id"]), {"type": RESULTS_EVENT, "message": message}
                )
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep relaying; the results stay available from the endpoint
            log.warning("results relay failed; retrying", exc_info=True)
        await asyncio.sleep(RELAY_INTERVAL_S)


def results_relay_ensure(layer: Any) -> None:
    """Start this event loop's relay of stored results events (in-memory channel layer only)."""
    if layer is None or not _process_local(layer):
        return
    loop = asyncio.get_running_loop()
    task = _relays.get(id(loop))
    if task is None or task.done():
        _relays[id(loop)] = loop.create_task(_relay(layer))

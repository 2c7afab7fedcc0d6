"""Results pushed to a session's open sockets after commit (the consumer only routes them).

``{"type": "results", "session_id", ...}``: the session's results payload (gaze analysis, heatmap URL, the
model's 14 probabilities, report draft, attention URL, agreement per observation), masked by the arm's
rules (:mod:`readingroom.reading.arms`), sent when the worker finishes the gaze analysis or the prediction,
and when a submit changes what the reader may see.

The gaze socket must not depend on the channel layer (Redis in production: its restart would end every
capture socket), so results travel through the database instead: whoever changes a session's results (the
worker, a web request) stores a :class:`~readingroom.reading.models.ResultsEvent` row after commit, and each
web process runs one relay per event loop that reads the rows newer than the last it saw every
:data:`RELAY_INTERVAL_S` seconds and sends the session's results to the sockets of that session open in
that process. Rows are never claimed, so any number of web processes see every event; rows older than
:data:`RETENTION_S` are deleted by the relays.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

log = logging.getLogger(__name__)

RELAY_INTERVAL_S = 0.5
RETENTION_S = 600.0


class ResultsSubscriber(Protocol):
    """A socket that takes a session's results messages (the gaze consumer)."""

    async def results_deliver(self, message: dict[str, Any]) -> None: ...


@dataclass
class _LoopRelay:
    subscribers: dict[int, set[ResultsSubscriber]] = field(default_factory=dict)
    task: asyncio.Task | None = None


_relays: dict[int, _LoopRelay] = {}  # one relay per event loop of this process


def _results_message(session_id: int) -> dict[str, Any] | None:
    from readingroom.reading.models import ReadingSession
    from readingroom.reading.results import session_results

    session = ReadingSession.objects.select_related("assignment__arm").filter(pk=session_id).first()
    return None if session is None else session_results(session=session)


def results_push(*, session_id: int) -> None:
    """Record that the session's results changed: the relays send them to its open sockets."""
    from readingroom.reading.models import ResultsEvent

    ResultsEvent.objects.create(session_id=session_id)


def results_push_on_commit(*, session_id: int) -> None:
    """Push the session's results once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: results_push(session_id=session_id))


def _latest_event_id(before: dt.datetime) -> int:
    """The id of the last event recorded before ``before`` (the relay sends only what comes after)."""
    from readingroom.reading.models import ResultsEvent

    return ResultsEvent.objects.filter(created_at__lt=before).aggregate(latest=Max("id"))["latest"] or 0


def _events_after(last_id: int) -> list[tuple[int, int]]:
    """(event id, session id) of the events newer than ``last_id``; old events are deleted on the way."""
    from readingroom.reading.models import ResultsEvent

    ResultsEvent.objects.filter(created_at__lt=timezone.now() - dt.timedelta(seconds=RETENTION_S)).delete()
    return list(ResultsEvent.objects.filter(id__gt=last_id).values_list("id", "session_id"))


async def _relay(relay: _LoopRelay, started: dt.datetime) -> None:
    last_id = await database_sync_to_async(_latest_event_id)(started)
    while True:
        try:
            events = await database_sync_to_async(_events_after)(last_id)
            if events:
                last_id = max(event_id for event_id, _ in events)
            for session_id in dict.fromkeys(s for _, s in events):
                listeners = list(relay.subscribers.get(session_id, ()))
                if not listeners:
                    continue
                message = await database_sync_to_async(_results_message)(session_id)
                for listener in listeners if message is not None else ():
                    await listener.results_deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep relaying; the results stay available from the endpoint
            log.warning("results relay failed; retrying", exc_info=True)
        await asyncio.sleep(RELAY_INTERVAL_S)


def results_subscribe(session_id: int, subscriber: ResultsSubscriber) -> None:
    """Send ``session_id``'s results events to ``subscriber`` (starts this event loop's relay if needed)."""
    loop = asyncio.get_running_loop()
    relay = _relays.setdefault(id(loop), _LoopRelay())
    relay.subscribers.setdefault(session_id, set()).add(subscriber)
    if relay.task is None or relay.task.done():
        relay.task = loop.create_task(_relay(relay, timezone.now()))


def results_unsubscribe(session_id: int, subscriber: ResultsSubscriber) -> None:
    """Stop sending ``session_id``'s results to ``subscriber``; the relay stops with its last subscriber."""
    loop = asyncio.get_running_loop()
    relay = _relays.get(id(loop))
    if relay is None:
        return
    listeners = relay.subscribers.get(session_id, set())
    listeners.discard(subscriber)
    if not listeners:
        relay.subscribers.pop(session_id, None)
    if not relay.subscribers and relay.task is not None:
        relay.task.cancel()
        _relays.pop(id(loop), None)

"""Events pushed to a session's WebSocket group after commit (the consumer only routes them).

``{"type": "results", "session_id", ...}``: the session's results payload (gaze analysis, heatmap URL, the
model's 14 probabilities, report draft, attention URL, agreement per observation), masked by the arm's
rules (:mod:`readingroom.reading.arms`), sent when the worker finishes the gaze analysis or the prediction,
and when a submit changes what the reader may see.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

# The channel-layer message type; Channels calls the consumer's ``session_results`` handler for it.
RESULTS_EVENT = "session.results"


def session_group(session_id: int) -> str:
    """The channel-layer group of a session's sockets."""
    return f"reading-session-{session_id}"


def results_push(*, session_id: int) -> bool:
    """Send the session's (masked) results to its sockets now; False when there is no channel layer or the
    send failed (logged: the results stay available from the results endpoint)."""
    from readingroom.reading.models import ReadingSession
    from readingroom.reading.results import session_results

    session = ReadingSession.objects.select_related("assignment__arm").filter(pk=session_id).first()
    layer = get_channel_layer()
    if session is None or layer is None:
        return False
    message = session_results(session=session)
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

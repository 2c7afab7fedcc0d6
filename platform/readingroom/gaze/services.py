"""Gaze services: storing batches, view events and clock samples; analysing a submitted session."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from readingroom.core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from readingroom.gaze.batches import parse_gaze_batch, parse_view_message
from readingroom.gaze.models import GazeAnalysis
from readingroom.reading.models import ReadingSession, ViewEvent
from readingroom.studies.models import Image

log = logging.getLogger(__name__)


def _require_open(session_id: int) -> None:
    # Read afresh for every batch: a session submitted from another tab must stop taking gaze at once.
    row = ReadingSession.objects.filter(pk=session_id).values_list("status", "closed_reason").first()
    if row is None or row[0] != ReadingSession.Status.OPEN:
        why = f": {row[1]}" if row and row[1] else ""
        raise Conflict(f"reading session {session_id} is closed{why}; no more gaze is accepted")


def gaze_batch_store(*, session_id: int, message: dict[str, Any]) -> int:
    """Validate and store one gaze batch (outside the WebSocket path); returns its seq.

    A batch is stored at most once per (session, stream, seq), whatever order batches arrive in; a resent batch
    is accepted again without being stored twice.
    """
    from readingroom.gaze.ingest import chunks_store

    batch = parse_gaze_batch(message, max_samples=settings.GAZE_MAX_SAMPLES_PER_BATCH)
    (error,) = chunks_store([(session_id, batch)])
    if error is not None:
        raise error
    return batch.seq


def view_event_store(*, session_id: int, message: dict[str, Any]) -> tuple[int, bool]:
    """Validate and store one view event; ``(seq, stored)`` as for :func:`gaze_batch_store`."""
    view = parse_view_message(message)
    _require_open(session_id)
    if not Image.objects.filter(pk=view.image_id, study__assignments__sessions__id=session_id).exists():
        raise InvalidInput(f"image_id {view.image_id} is not an image of this session's study")
    try:
        with transaction.atomic():
            ViewEvent.objects.create(
                session_id=session_id,
                stream=view.stream,
                seq=view.seq,
                t_ms=view.t_ms,
                image_id=view.image_id,
                image_region=list(view.image_region),
                screen_rect=list(view.screen_rect),
                window_width=view.window_width,
                window_level=view.window_level,
                zoom=view.zoom,
            )
    except IntegrityError:
        return view.seq, False
    return view.seq, True


def capture_session_authorise(
    *, session_id: int, user: Any, token_session_id: int | None, token_error: str | None = None
) -> int:
    """Check that a capture connection may write to ``session_id``; returns the id.

    Allowed: the session's own reader (cookie session), or a holder of the session's capture token or of
    an API token scoped ``gaze:write:<session_id>`` (the local bridge). The session must be open. A token
    that was presented and refused (``token_error``) refuses the connection, whatever the cookie says.
    """
    if token_error:
        raise Forbidden(token_error)
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound(f"reading session {session_id} does not exist")
    if token_session_id is not None and token_session_id != session_id:
        raise Forbidden(f"the token is for another reading session, not {session_id}")
    by_token = token_session_id == session_id
    by_user = user is not None and getattr(user, "is_authenticated", False) and session.reader_id == user.pk
    if not (by_token or by_user):
        if user is None or not getattr(user, "is_authenticated", False):
            raise Forbidden("not authenticated: log in, or pass the session's capture token")
        raise Forbidden(f"reading session {session_id} belongs to another reader")
    _require_open(session_id)
    return session_id


def clock_sample_record(*, session_id: int, stream: str, t_client_ms: float, t_server_ms: float) -> float:
    """Fold one ping into the clock-offset estimate of a stream (server minus device, ms); returns it.

    The offset of one ping includes the one-way delay, which is never negative; the smallest offset seen so
    far is the best estimate (the minimum-delay filter of NTP-style synchronisation).
    """
    offset = t_server_ms - t_client_ms
    with transaction.atomic():
        session = ReadingSession.objects.select_for_update().get(pk=session_id)
        known = session.clock_offsets.get(stream)
        best = offset if known is None else min(offset, known["offset_ms"])
        session.clock_offsets[stream] = {"offset_ms": best, "pings": (known or {}).get("pings", 0) + 1}
        session.save(update_fields=["clock_offsets"])
        return best


ANALYSE_TASK = "readingroom.gaze.analyse_session"


def analysis_queue(*, session: ReadingSession) -> GazeAnalysis:
    """Create the pending analysis and enqueue the worker task through the outbox (sent once committed)."""
    from readingroom.core.outbox import outbox_enqueue

    analysis, _ = GazeAnalysis.objects.update_or_create(
        session=session, defaults={"status": GazeAnalysis.Status.PENDING, "error": ""}
    )
    outbox_enqueue(task=ANALYSE_TASK, args=[session.pk])
    return analysis


def session_image(*, session: ReadingSession) -> Image | None:
    """The image that was read: the one of the last view event, else the study's first image."""
    last_view = session.view_events.order_by("-t_ms", "-seq").first()
    if last_view is not None:
        return last_view.image
    return session.assignment.study.images.order_by("id").first()

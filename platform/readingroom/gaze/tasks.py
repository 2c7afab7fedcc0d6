"""Celery adapters of the gaze services."""

from __future__ import annotations

from celery import shared_task

from readingroom.gaze.analysis import analysis_run


@shared_task(name="readingroom.gaze.analyse_session", acks_late=True)
def analyse_session(session_id: int) -> str:
    """Detect fixations and build the gaze prior of a submitted session."""
    analysis = analysis_run(session_id=session_id)
    return "gone" if analysis is None else analysis.status

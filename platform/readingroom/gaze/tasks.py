"""Celery adapters of the gaze services."""

from __future__ import annotations

from celery import shared_task

from readingroom.gaze.analysis import analysis_run
from readingroom.gaze.imports import gaze_import


@shared_task(name="readingroom.gaze.analyse_session", acks_late=True)
def analyse_session(session_id: int) -> str:
    """Detect fixations and build the gaze prior of a submitted session."""
    analysis = analysis_run(session_id=session_id)
    return "gone" if analysis is None else analysis.status


@shared_task(name="readingroom.gaze.import_gaze", acks_late=True)
def import_gaze(fmt: str, path: str) -> dict:
    """Import a REFLACX or EGD-CXR folder (queue ``io``); the report as a dict (counts, sessions, errors).

    Safe to retry: a recording imported before is skipped.
    """
    report = gaze_import(fmt=fmt, path=path)
    return {"imported": report.imported, "skipped": report.skipped, "failed": report.failed,
            "sessions": report.sessions, "errors": report.errors}  # fmt: skip

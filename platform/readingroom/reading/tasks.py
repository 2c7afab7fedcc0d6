"""Celery adapters of the reading services: the reaper of work stuck by a lost worker."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from readingroom.reading.recovery import submitted_work_recover


@shared_task(name="readingroom.reading.recover_submitted", acks_late=True)
def recover_submitted() -> dict:
    """Enqueue again the analyses and predictions stuck past READING_TASK_STUCK_AFTER_S (Celery beat)."""
    result = submitted_work_recover(
        stuck_after_s=settings.READING_TASK_STUCK_AFTER_S, max_attempts=settings.READING_TASK_MAX_ATTEMPTS
    )
    return {name: {"requeued": r.requeued, "failed": r.failed} for name, r in result.items()}

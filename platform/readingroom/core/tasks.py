"""Celery adapters of the core services: the outbox's periodic drain."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from readingroom.core.outbox import outbox_prune, outbox_send


@shared_task(name="readingroom.core.outbox_drain", acks_late=True)
def outbox_drain() -> int:
    """Publish the outbox's waiting messages (Celery beat, and each worker's start); returns how many."""
    sent = outbox_send()
    outbox_prune(keep_days=settings.OUTBOX_KEEP_SENT_DAYS)
    return sent

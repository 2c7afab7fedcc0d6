"""Celery adapters of the learning services (queue ``gpu``)."""

from __future__ import annotations

from celery import shared_task

from readingroom.learning.models import LearningLoop
from readingroom.learning.services import loop_tick


@shared_task(name="readingroom.learning.tick", acks_late=False)
def tick(loop_id: int) -> str:
    """Finish a round whose reads are in, or start one after the configured number of new reads."""
    loop = LearningLoop.objects.filter(pk=loop_id).first()
    if loop is None:
        return "gone"
    rnd = loop_tick(loop=loop)
    return "idle" if rnd is None else f"round {rnd.number}: {rnd.status}"


@shared_task(name="readingroom.learning.tick_all", acks_late=False)
def tick_all() -> int:
    """The beat schedule's entry: tick every loop that has not stopped; returns how many were ticked."""
    ids = list(LearningLoop.objects.filter(stopped_reason="").values_list("pk", flat=True))
    for loop_id in ids:
        tick.delay(loop_id)
    return len(ids)

"""The reaper: submitted sessions whose analysis or prediction a lost worker left pending or running.

A worker killed mid-task (kill -9, out of memory, a host lost) leaves its task unacknowledged: a prefork
worker whose pool process died requeues it at once (``task_reject_on_worker_lost``), but a whole worker
killed leaves it with Redis until its visibility timeout, and the filesystem broker drops it. The reaper
enqueues such work again through the outbox; the tasks are idempotent. Work that was enqueued
``READING_TASK_MAX_ATTEMPTS`` times without finishing fails with the reason, rather than loop for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from readingroom.core.models import OutboxMessage
from readingroom.core.outbox import outbox_enqueue, outbox_key
from readingroom.gaze.models import GazeAnalysis
from readingroom.gaze.services import ANALYSE_TASK
from readingroom.modeling.models import Prediction
from readingroom.modeling.services import PREDICT_TASK


@dataclass(frozen=True)
class Recovered:
    requeued: int
    failed: int


def _lost_message(attempts: int) -> str:
    return f"abandoned: enqueued {attempts} times and never finished (the worker was lost each time)"


def _recover(
    model, task: str, statuses: list[str], *, cutoff, max_attempts: int, failed_field: str
) -> Recovered:
    requeued = failed = 0
    stuck = model.objects.filter(status__in=statuses, updated_at__lt=cutoff).values_list("pk", "session_id")
    for pk, session_id in stuck:
        messages = OutboxMessage.objects.filter(key=outbox_key(task, [session_id]))
        if messages.filter(sent_at__isnull=True).exists():
            continue  # waiting for the broker, not lost: the outbox's drain sends it
        attempts = messages.count()
        with transaction.atomic():
            # Claim it again under the same condition: another reaper may have just done so.
            still = model.objects.filter(pk=pk, status__in=statuses, updated_at__lt=cutoff)
            if attempts >= max_attempts:
                failed += still.update(
                    status=model.Status.FAILED,
                    updated_at=timezone.now(),
                    **{failed_field: _lost_message(attempts)},
                )
            elif still.update(status=model.Status.PENDING, updated_at=timezone.now()):
                outbox_enqueue(task=task, args=[session_id])
                requeued += 1
    return Recovered(requeued, failed)


def submitted_work_recover(*, stuck_after_s: float, max_attempts: int) -> dict[str, Recovered]:
    """Enqueue again the analyses and predictions pending or running for longer than ``stuck_after_s``."""
    cutoff = timezone.now() - timedelta(seconds=stuck_after_s)
    return {
        "analyses": _recover(
            GazeAnalysis, ANALYSE_TASK, [GazeAnalysis.Status.PENDING, GazeAnalysis.Status.RUNNING],
            cutoff=cutoff, max_attempts=max_attempts, failed_field="error",
        ),
        "predictions": _recover(
            Prediction, PREDICT_TASK, [Prediction.Status.PENDING],
            cutoff=cutoff, max_attempts=max_attempts, failed_field="message",
        ),
    }  # fmt: skip

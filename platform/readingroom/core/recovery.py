"""Rows a lost worker left queued or running: enqueue their task again through the outbox, or fail them.

A worker killed mid-task (kill -9, out of memory, a host lost) leaves its task unacknowledged: a prefork
worker whose pool process died requeues it at once (``task_reject_on_worker_lost``), but a whole worker
killed leaves it with Redis until its visibility timeout, and the filesystem broker drops it. The reapers
(the reading sessions' analyses and predictions, the model evaluations) enqueue such work again; the tasks
are idempotent. Work enqueued ``max_attempts`` times without finishing fails with the reason, rather than
loop for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from readingroom.core.models import OutboxMessage
from readingroom.core.outbox import outbox_enqueue, outbox_key


@dataclass(frozen=True)
class Recovered:
    requeued: int
    failed: int


def _lost_message(attempts: int) -> str:
    return f"abandoned: enqueued {attempts} times and never finished (the worker was lost each time)"


def stuck_work_recover(
    model: type[models.Model], task: str, statuses: list[str], *, cutoff: datetime, max_attempts: int,
    failed_field: str, requeue_status: str, arg_field: str,
) -> Recovered:  # fmt: skip
    """Enqueue ``task(row.<arg_field>)`` again for the rows of ``model`` in ``statuses`` last updated before
    ``cutoff`` (status back to ``requeue_status``); a row whose task was enqueued ``max_attempts`` times
    already is set ``failed`` with the reason in ``failed_field``. ``model`` needs ``status``, ``updated_at``
    and a ``Status.FAILED`` choice."""
    requeued = failed = 0
    stuck = model.objects.filter(status__in=statuses, updated_at__lt=cutoff).values_list("pk", arg_field)
    for pk, arg in stuck:
        messages = OutboxMessage.objects.filter(key=outbox_key(task, [arg]))
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
            elif still.update(status=requeue_status, updated_at=timezone.now()):
                outbox_enqueue(task=task, args=[arg])
                requeued += 1
    return Recovered(requeued, failed)

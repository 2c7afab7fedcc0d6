"""The transactional outbox: Celery tasks enqueued in the same transaction as the change that needs them.

``transaction.on_commit(task.delay)`` loses the task when the broker is down at that moment, though the change
is committed (a submitted report whose analysis stays pending for good). Here the task is a row written in
the caller's transaction; it is published right after the commit, and whatever the broker refused then is
published by :func:`outbox_send` from the periodic drain (Celery beat) and when a worker starts.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from readingroom.core.models import OutboxMessage

log = logging.getLogger(__name__)

# Right after a commit the request is waiting: one quick retry, then the drain's turn.
_AFTER_COMMIT_RETRY = {"max_retries": 1, "interval_start": 0.0, "interval_step": 0.2, "interval_max": 0.2}


def outbox_key(task: str, args: list) -> str:
    """The key that identifies a task with its arguments (to count how often it was enqueued)."""
    return f"{task}:{json.dumps(args, separators=(',', ':'))}"[:255]


def outbox_enqueue(*, task: str, args: list) -> OutboxMessage:
    """Record ``task(*args)`` in the current transaction; it is published once the transaction commits."""
    message = OutboxMessage.objects.create(task=task, args=args, key=outbox_key(task, args))
    transaction.on_commit(lambda: outbox_send(ids=[message.pk], retry_policy=_AFTER_COMMIT_RETRY))
    return message


def _publish(message: OutboxMessage, retry_policy: dict | None) -> None:
    from readingroom.celery import app

    if message.task not in app.tasks:
        app.loader.import_default_modules()  # the tasks modules (a web process has not imported them)
    task = app.tasks.get(message.task)
    options = {"retry": True, "retry_policy": retry_policy} if retry_policy else {}
    if task is not None:
        task.apply_async(args=message.args, **options)  # honours task_always_eager and the task's routes
    else:
        app.send_task(message.task, args=message.args, **options)


def outbox_send(*, ids: list[int] | None = None, retry_policy: dict | None = None, limit: int = 500) -> int:
    """Publish the waiting messages (only ``ids``, if given), oldest first; returns how many were published.

    Stops at the first message the broker refuses (it is down; the rest waits for the next drain) and
    records the error on it. Never raises for a broker error: the caller's change is committed already.
    """
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    if ids is not None:
        waiting = waiting.filter(pk__in=ids)
    sent = 0
    for message in waiting.order_by("pk")[:limit]:
        try:
            _publish(message, retry_policy)
        except Exception as exc:  # kombu, redis-py and OS errors alike: the broker did not take it
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            log.warning(
                "outbox: %s not published (%s: %s); the drain retries", message.key, type(exc).__name__, exc
            )
            break
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
        sent += 1
    return sent


def outbox_prune(*, keep_days: int) -> int:
    """Delete messages published more than ``keep_days`` ago; returns how many."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted

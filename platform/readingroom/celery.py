"""The Celery application. Start a worker with ``celery -A readingroom worker -Q default,io,gpu``."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readingroom.settings")

app = Celery("readingroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

RECOVERY_TASKS = (
    "readingroom.core.outbox_drain",
    "readingroom.reading.recover_submitted",
    "readingroom.modeling.recover_evaluations",
)


@worker_ready.connect
def _recover_on_start(sender, **kwargs) -> None:
    """A starting worker publishes what the outbox holds and re-enqueues work stuck by a lost worker.

    Beat does the same periodically; this covers installations without beat and the minutes before its
    first run.
    """
    for name in RECOVERY_TASKS:
        sender.app.send_task(name)

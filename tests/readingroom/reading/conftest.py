"""Fixtures of the reading tests: Celery tasks run in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from readingroom.celery import app as celery_app


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Tasks published in the block run here, at once (as a worker would run them)."""
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False

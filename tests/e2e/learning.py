"""Waiting for a learning round that a real worker process finishes (shared by the learning e2e tests)."""

from __future__ import annotations

import time

from readingroom.learning.models import LearningRound


def round_wait(rnd: LearningRound, *, timeout_s: float = 240) -> LearningRound:
    """Poll ``rnd`` until the worker has closed it (done or failed) or ``timeout_s`` passed; returns it fresh."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rnd.refresh_from_db()
        if rnd.status in (LearningRound.Status.DONE, LearningRound.Status.FAILED):
            break
        time.sleep(0.3)
    return rnd

"""The reaper of submitted sessions whose analysis or prediction a lost worker left pending or running.

It enqueues such work again through the outbox (:mod:`readingroom.core.recovery` says why and how); work
enqueued ``READING_TASK_MAX_ATTEMPTS`` times without finishing fails with the reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from readingroom.core.recovery import Recovered, stuck_work_recover
from readingroom.gaze.models import GazeAnalysis
from readingroom.gaze.services import ANALYSE_TASK
from readingroom.modeling.models import Prediction
from readingroom.modeling.services import PREDICT_TASK


def submitted_work_recover(*, stuck_after_s: float, max_attempts: int) -> dict[str, Recovered]:
    """Enqueue again the analyses and predictions pending or running for longer than ``stuck_after_s``."""
    cutoff = timezone.now() - timedelta(seconds=stuck_after_s)
    return {
        "analyses": stuck_work_recover(
            GazeAnalysis, ANALYSE_TASK, [GazeAnalysis.Status.PENDING, GazeAnalysis.Status.RUNNING],
            cutoff=cutoff, max_attempts=max_attempts, failed_field="error",
            requeue_status=GazeAnalysis.Status.PENDING, arg_field="session_id",
        ),
        "predictions": stuck_work_recover(
            Prediction, PREDICT_TASK, [Prediction.Status.PENDING],
            cutoff=cutoff, max_attempts=max_attempts, failed_field="message",
            requeue_status=Prediction.Status.PENDING, arg_field="session_id",
        ),
    }  # fmt: skip

"""The reaper: analyses and predictions left pending or running by a lost worker are enqueued again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from readingroom.core.models import OutboxMessage
from readingroom.core.outbox import outbox_send
from readingroom.gaze.analysis import analysis_run
from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from readingroom.reading.recovery import submitted_work_recover
from readingroom.reading.services import report_submit
from tests.readingroom.reading.conftest import eager_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(reading_session, reader):
    """A submitted session whose tasks were published (and then lost with their worker)."""
    report_submit(session=reading_session, reader=reader, findings="Clear.", impression="", labels={})
    OutboxMessage.objects.update(sent_at=timezone.now())
    return reading_session


def _age(model, session, *, status: str, seconds: float) -> None:
    model.objects.filter(session=session).update(
        status=status, updated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_work_stuck_past_the_deadline_is_enqueued_again_and_then_done(submitted):
    _age(GazeAnalysis, submitted, status="running", seconds=700)
    _age(Prediction, submitted, status="pending", seconds=700)
    result = submitted_work_recover(stuck_after_s=600, max_attempts=5)
    assert (result["analyses"].requeued, result["predictions"].requeued) == (1, 1)
    assert GazeAnalysis.objects.get(session=submitted).status == "pending"
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    # Enqueued once only, however often the reaper runs before the deadline passes again.
    assert submitted_work_recover(stuck_after_s=600, max_attempts=5)["analyses"].requeued == 0

    with eager_tasks():
        assert outbox_send() == 2
    assert GazeAnalysis.objects.get(session=submitted).status == "done"
    assert Prediction.objects.get(session=submitted).status == "no_model"


def test_recent_work_and_work_waiting_for_the_broker_are_left_alone(submitted):
    _age(GazeAnalysis, submitted, status="running", seconds=10)
    assert submitted_work_recover(stuck_after_s=600, max_attempts=5)["analyses"].requeued == 0
    _age(GazeAnalysis, submitted, status="pending", seconds=700)
    OutboxMessage.objects.update(sent_at=None)  # the broker never took it: the drain's job, not a loss
    assert submitted_work_recover(stuck_after_s=600, max_attempts=5)["analyses"].requeued == 0


def test_work_lost_too_often_fails_with_the_reason(submitted):
    for _ in range(2):
        _age(GazeAnalysis, submitted, status="running", seconds=700)
        submitted_work_recover(stuck_after_s=600, max_attempts=3)
        OutboxMessage.objects.update(sent_at=timezone.now())
    _age(GazeAnalysis, submitted, status="running", seconds=700)
    result = submitted_work_recover(stuck_after_s=600, max_attempts=3)
    assert result["analyses"].failed == 1
    analysis = GazeAnalysis.objects.get(session=submitted)
    assert analysis.status == "failed" and "enqueued 3 times and never finished" in analysis.error


def test_a_message_delivered_twice_does_not_redo_a_finished_analysis(submitted):
    first = analysis_run(session_id=submitted.pk)
    assert first.status == "done"
    GazeAnalysis.objects.filter(pk=first.pk).update(error="kept")
    again = analysis_run(session_id=submitted.pk)
    assert again.status == "done" and again.error == "kept"


def test_beat_and_worker_start_run_tasks_that_exist(settings):
    from readingroom.celery import RECOVERY_TASKS, app

    app.loader.import_default_modules()
    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    # the recovery tasks and the learning loop's ticks: one schedule (a second definition would drop one)
    expected = {
        *RECOVERY_TASKS,
        "readingroom.learning.tick_all",
        "readingroom.modeling.resume_stale_training",
    }
    assert set(names) == expected
    assert all(name in app.tasks for name in names)

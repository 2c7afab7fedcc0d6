"""Training runs: a loss series as it runs, cancel between steps, resume from the checkpoint, and a clear
failure for an empty or unlabelled dataset version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.curation.models import Dataset, DatasetVersion
from readingroom.modeling.models import TrainingRun
from readingroom.modeling.services import training_run_execute, training_run_queue
from readingroom.modeling.training import run_folder, training_run_cancel, training_runs_resume_stale

pytestmark = pytest.mark.django_db


def _run(**kw) -> TrainingRun:
    return TrainingRun.objects.create(name="t", config_name="tiny", data_spec="phantoms:8", **kw)


def test_progress_is_a_loss_series_and_the_log_tells_the_story():
    run = training_run_execute(run_id=_run(max_steps=3).pk)
    assert run.status == TrainingRun.Status.DONE
    assert [p["step"] for p in run.progress] == [1, 2, 3]
    assert all(p["loss"] > 0 for p in run.progress)
    assert "training 8 samples" in run.log and "done after 3 steps" in run.log
    assert run.heartbeat_at is not None and run.model_version.checkpoint_sha256


def test_cancel_flag_stops_the_run_between_steps():
    run = training_run_execute(run_id=_run(max_steps=50, cancel_requested=True).pk)
    assert run.status == TrainingRun.Status.CANCELLED and run.model_version is None
    assert [p["step"] for p in run.progress] == [1]
    assert "cancelled at step 1" in run.log
    with pytest.raises(Conflict, match="only a queued or running run can be cancelled"):
        training_run_cancel(run=run)


def test_a_queued_run_is_cancelled_at_once_and_never_trains():
    run = training_run_cancel(run=_run(max_steps=2))
    assert run.status == TrainingRun.Status.CANCELLED
    assert training_run_execute(run_id=run.pk).progress == []


def test_a_stale_running_run_resumes_from_its_checkpoint():
    """As after a worker died at step 3 with a checkpoint at step 2: the series is cut back and continued."""
    from cogaze import load_config
    from cogaze.data import open_dataset
    from cogaze.train import train

    run = _run(max_steps=4, status=TrainingRun.Status.RUNNING,
               progress=[{"step": 1, "loss": 9.0}, {"step": 2, "loss": 8.0}, {"step": 3, "loss": 7.0}],
               heartbeat_at=timezone.now() - timedelta(minutes=10))  # fmt: skip
    train(load_config("tiny"), open_dataset("phantoms:8", size=64), out_dir=run_folder(run), max_steps=2,
          progress=False)  # fmt: skip
    fresh = _run(max_steps=2, status=TrainingRun.Status.RUNNING, heartbeat_at=timezone.now())
    assert training_runs_resume_stale(max_age=60) == [run.pk]  # the live one is left alone
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED and run.resumes == 1
    run = training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.DONE
    assert [p["step"] for p in run.progress] == [1, 2, 3, 4] and run.progress[2]["loss"] != 7.0
    assert run.metrics["resumed_from_step"] == 2 and "resuming from the checkpoint at step 2" in run.log
    fresh.refresh_from_db()
    assert fresh.status == TrainingRun.Status.RUNNING


def _version(items: list[dict]) -> DatasetVersion:
    dataset = Dataset.objects.create(name=f"d{len(items)}")
    return DatasetVersion.objects.create(dataset=dataset, number=1, seed=0, split_fractions={"train": 1.0},
                                         manifest={"items": items}, manifest_sha256="0" * 64,
                                         item_count=len(items))  # fmt: skip


@pytest.mark.parametrize(
    "items, message",
    [
        ([], "is empty: nothing to train on"),
        ([{"image_id": 1, "split": "train", "labels": {"Edema": "not_mentioned"}}], "no labelled item"),
    ],
)
def test_empty_or_unlabelled_dataset_version_fails_with_a_clear_status(items, message):
    run = training_run_queue(name="t", dataset_version=_version(items), max_steps=2)
    assert run.data_spec == f"dataset-version:{run.dataset_version_id}"
    with pytest.raises(InvalidInput, match=message):
        training_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED and message in run.error and run.model_version is None

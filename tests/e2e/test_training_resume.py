"""A training run survives its worker: SIGKILL the worker process mid-training, start another, and the run
resumes from its last checkpoint and finishes (real Celery worker processes, ``-P solo``, queue gpu)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from readingroom.modeling.models import TrainingRun
from readingroom.modeling.tasks import train_model
from tests.e2e.conftest import _release_database
from tests.e2e.processes import stack_env, start_worker, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def _start_worker(log: Path, queue: str) -> subprocess.Popen:
    return start_worker(log, queues=queue, env=stack_env(TRAINING_STALE_SECONDS="2"))


def _wait(run: TrainingRun, done, what: str, timeout: float = 300.0) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if done(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"training run {run.pk}: {what} not seen in {timeout} s ({run.status}, {run.log})")


def test_sigkill_mid_training_then_resume(tmp_path, django_db_blocker, settings):
    # the first worker alone consumes a queue of its own (another worker on gpu, e.g. live_stack's, must not
    # take the run); any worker on gpu may resume it (they share MEDIA_ROOT, where the checkpoint is)
    first = _start_worker(tmp_path / "worker-1.log", "gpu-resume-test")
    second = None
    try:
        run = TrainingRun.objects.create(name="resume", data_spec="phantoms:16", max_steps=150, checkpoint_every=5,
                                         activate=False)  # fmt: skip
        train_model.apply_async((run.pk,), queue="gpu-resume-test")
        run = _wait(run, lambda r: len(r.progress) >= 7, "step 7")
        first.kill()  # SIGKILL: no clean-up, no message back to the broker
        first.wait()
        killed_at = len(run.progress)
        assert run.status == TrainingRun.Status.RUNNING and killed_at < 150
        time.sleep(2.5)  # the heartbeat goes stale
        second = _start_worker(tmp_path / "worker-2.log", "gpu")
        run = _wait(run, lambda r: r.status != TrainingRun.Status.RUNNING or r.resumes, "the resume", 90)
        run = _wait(
            run, lambda r: r.status in (TrainingRun.Status.DONE, TrainingRun.Status.FAILED), "the end"
        )
        assert run.status == TrainingRun.Status.DONE, run.log
        assert run.resumes == 1 and "resuming from the checkpoint at step" in run.log
        assert 5 <= run.metrics["resumed_from_step"] <= killed_at
        assert [p["step"] for p in run.progress] == list(range(1, 151))
        assert (settings.MEDIA_ROOT / run.model_version.checkpoint).is_file()
    finally:
        for worker in (first, second):
            if worker is not None:
                stop(worker)
        _release_database(django_db_blocker)

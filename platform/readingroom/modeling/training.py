"""Training runs you can watch, cancel and resume.

A run trains in its own folder (MEDIA_ROOT/training-runs/run-ID/), so a run whose worker died continues
from the last checkpoint there: a worker that starts (and the beat schedule) puts back on the queue every
running run whose heartbeat is older than ``TRAINING_STALE_SECONDS``. Each logged step appends
``{"step", "loss"}`` to the run's ``progress`` and refreshes its heartbeat; the cancel flag is read at the same
moment, between optimizer steps.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.core.files import media_path
from readingroom.curation.models import DatasetVersion
from readingroom.modeling.models import TrainingRun

_OPEN = (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)


class _Cancelled(Exception):
    """Raised from the progress callback to leave cogaze's training loop when the run was cancelled."""


def run_folder(run: TrainingRun) -> Path:
    return media_path(f"training-runs/run-{run.pk}")


def _log(run: TrainingRun, line: str) -> None:
    run.log = f"{run.log}{timezone.now():%Y-%m-%d %H:%M:%S} {line}\n"


def dataset_version_check(version: DatasetVersion) -> None:
    """Refuse a dataset version with no items, or none labelled in its train split (InvalidInput)."""
    items = version.manifest.get("items", [])
    if not items:
        raise InvalidInput(f"dataset version {version.pk} is empty: nothing to train on")
    labelled = [
        i for i in items
        if i.get("split", "train") == "train" and any(v not in ("", None, "not_mentioned") for v in (i.get("labels") or {}).values())
    ]  # fmt: skip
    if not labelled:
        raise InvalidInput(f"dataset version {version.pk} has no labelled item in its train split")


def training_run_cancel(*, run: TrainingRun) -> TrainingRun:
    """Ask a queued or running run to stop (a queued one is cancelled at once)."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in _OPEN:
            raise Conflict(
                f"training run {run.pk} is {run.status}; only a queued or running run can be cancelled"
            )
        run.cancel_requested = True
        if run.status == TrainingRun.Status.QUEUED:
            run.status = TrainingRun.Status.CANCELLED
            _log(run, "cancelled before it started")
        run.save()
    return run


def training_runs_resume_stale(*, max_age: float | None = None) -> list[int]:
    """Put back on the queue the running runs whose worker stopped writing progress; returns their ids."""
    from readingroom.modeling.tasks import train_model

    age = float(getattr(settings, "TRAINING_STALE_SECONDS", 120.0) if max_age is None else max_age)
    cutoff = timezone.now() - timedelta(seconds=age)
    resumed = []
    with transaction.atomic():
        stale = TrainingRun.objects.select_for_update().filter(
            status=TrainingRun.Status.RUNNING, heartbeat_at__lt=cutoff
        )
        for run in stale:
            run.status = TrainingRun.Status.QUEUED
            run.resumes += 1
            _log(
                run, f"no progress for {age:.0f} s (worker gone?): queued again to resume from its checkpoint"
            )
            run.save(update_fields=["status", "resumes", "log", "updated_at"])
            resumed.append(run.pk)
            transaction.on_commit(lambda pk=run.pk: train_model.delay(pk))
    return resumed


def _open_data(run: TrainingRun, folder: Path, image_size: int):
    from cogaze.data import open_dataset
    from readingroom.modeling.services import _cogaze_data_spec

    if run.dataset_version is None:
        spec = _cogaze_data_spec(run.data_spec)
        return open_dataset(
            spec, split="train" if spec.startswith("export:") else None, size=image_size, seed=0
        )
    from readingroom.curation.exports.cogaze import version_export_cogaze

    dataset_version_check(run.dataset_version)
    data = folder / "data"
    if not (data / "manifest.json").is_file():
        partial = folder / "data.part"
        shutil.rmtree(partial, ignore_errors=True)
        version_export_cogaze(version=run.dataset_version, root=partial)
        partial.replace(data)
    return open_dataset(f"export:{data}", split="train")


def _config(run: TrainingRun):
    from cogaze import CogazeConfig, load_config

    config = load_config(run.config_name)
    if run.checkpoint_every:
        data = config.to_dict()
        data["train"] = {**data["train"], "checkpoint_every": run.checkpoint_every}
        config = CogazeConfig.from_dict(data)
    return config


def _resume_point(folder: Path) -> int:
    from cogaze.train import load_checkpoint

    checkpoint = folder / "checkpoint.pt"
    return int(load_checkpoint(checkpoint)["step"]) if checkpoint.is_file() else 0


def training_run_execute(*, run_id: int, progress: bool = False) -> TrainingRun | None:
    """Train (or resume) a run and register the resulting model version. None if the run is gone.

    Only a queued run is trained: a redelivered message of a finished, failed or cancelled run does nothing.
    Failures leave status ``failed`` with the reason (and are raised); a cancel leaves ``cancelled``.
    """
    from cogaze import CogazeError
    from cogaze.train import train
    from readingroom.modeling.services import model_version_register

    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != TrainingRun.Status.QUEUED:
            return run
        run.status, run.heartbeat_at = TrainingRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "heartbeat_at", "updated_at"])
    folder = run_folder(run)
    folder.mkdir(parents=True, exist_ok=True)

    def on_log(record: dict) -> None:
        run.progress.append({"step": int(record["step"]), "loss": float(record["loss"])})
        run.heartbeat_at = timezone.now()
        TrainingRun.objects.filter(pk=run.pk).update(progress=run.progress, heartbeat_at=run.heartbeat_at)
        if TrainingRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
            raise _Cancelled

    try:
        config = _config(run)
        dataset = _open_data(run, folder, config.vision.image_size)
        start = _resume_point(folder)
        run.progress = [p for p in run.progress if p["step"] <= start]
        _log(
            run,
            f"resuming from the checkpoint at step {start}" if start else f"training {len(dataset)} samples",
        )
        run.save(update_fields=["progress", "log", "updated_at"])
        result = train(
            config,
            dataset,
            out_dir=folder,
            max_steps=run.max_steps,
            resume=True,
            progress=progress,
            on_log=on_log,
        )
        first, last = result.first_last("loss") if result.history else (None, None)
        metrics = {"steps": result.steps, "seconds": round(result.seconds, 1), "loss_first": first, "loss_last": last,
                   "resumed_from_step": start}  # fmt: skip
        synthetic = run.data_spec.startswith("phantoms:")
        description = f"{run.config_name} config trained on {run.data_spec}" + (
            " (SYNTHETIC phantoms: a demonstration model, not for clinical use)" if synthetic else ""
        )
        version = model_version_register(
            checkpoint=result.checkpoint, name=run.name, version=f"run-{run.pk}", description=description,
            metrics=metrics, activate=run.activate, dataset_version=run.dataset_version, user=run.created_by,
        )  # fmt: skip
    except _Cancelled:
        run.refresh_from_db(fields=["progress"])
        run.status = TrainingRun.Status.CANCELLED
        _log(run, f"cancelled at step {run.progress[-1]['step'] if run.progress else 0}")
        run.save(update_fields=["status", "log", "updated_at"])
        return run
    except (CogazeError, InvalidInput, Conflict, OSError) as exc:
        run.status = TrainingRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        _log(run, f"failed: {run.error}")
        run.save(update_fields=["status", "error", "log", "updated_at"])
        raise
    run.status, run.metrics, run.model_version = TrainingRun.Status.DONE, metrics, version
    _log(run, f"done after {result.steps} steps; registered {version}")
    run.save(update_fields=["status", "metrics", "model_version", "log", "updated_at"])
    return run

"""Model registry, training runs and predictions shown beside the reader's own report.

The model itself is the ``cogaze`` library; these services adapt it to the platform's objects.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
from django.db import transaction

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.core.files import media_path, media_write
from readingroom.core.heatmap import heatmap_png, npy_bytes
from readingroom.gaze.services import session_image
from readingroom.modeling.models import ModelVersion, Prediction, TrainingRun
from readingroom.modeling.registry import file_sha256, project_model_version
from readingroom.reading.models import ReadingSession
from readingroom.studies.derivatives import image_display_array
from readingroom.studies.models import Image

NO_MODEL_MESSAGE = (
    "No model is registered. Train CoGaze and register a model version to see its findings, "
    "report draft and attention map here."
)


def active_model_version() -> ModelVersion | None:
    """The model version used for predictions, if any."""
    return ModelVersion.objects.filter(is_active=True).order_by("-created_at").first()


@functools.lru_cache(maxsize=2)
def _predictor(checkpoint: str):
    from cogaze.infer import Predictor

    return Predictor.from_checkpoint(checkpoint, device="cpu")


def model_version_register(
    *, checkpoint: Path | str, name: str, version: str, description: str = "", metrics: dict | None = None,
    activate: bool = True, dataset_version=None, user=None,
) -> ModelVersion:  # fmt: skip
    """Copy a CoGaze checkpoint into the registry (MEDIA_ROOT/models/NAME/VERSION/) and record it.

    The checkpoint is loaded once first, so a broken or foreign file is refused with :class:`InvalidInput`.
    With ``activate``, it becomes the only active version. The registry keeps the checkpoint's SHA-256 and
    cogaze configuration, checked again before every evaluation (``registry.model_version_verify``).
    """

    from cogaze import CogazeError

    source = Path(checkpoint)
    if source.is_dir():
        source = source / "checkpoint.pt"
    if not source.is_file():
        raise InvalidInput(f"{source}: no such checkpoint file")
    if ModelVersion.objects.filter(name=name, version=version).exists():
        raise InvalidInput(f"model version {name}:{version} is already registered")
    try:
        predictor = _predictor(str(source))
    except CogazeError as exc:
        raise InvalidInput(f"{source}: not a usable CoGaze checkpoint ({exc})") from exc
    relative = f"models/{name}/{version}/checkpoint.pt"
    target = media_path(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target.with_suffix(".part"))
    target.with_suffix(".part").replace(target)
    sha256 = file_sha256(target)
    with transaction.atomic():
        if activate:
            ModelVersion.objects.filter(is_active=True).update(is_active=False)
        return ModelVersion.objects.create(
            name=name,
            version=version,
            checkpoint=relative,
            config_name=predictor.config.name,
            config=predictor.config.to_dict(),
            checkpoint_sha256=sha256,
            dataset_version=dataset_version,
            created_by=user,
            description=description,
            metrics=metrics or {},
            is_active=activate,
        )


def training_run_queue(
    *, name: str, config_name: str = "tiny", data_spec: str = "phantoms:64", max_steps: int | None = None,
    activate: bool = True, dataset_version=None, checkpoint_every: int | None = None, user=None,
) -> TrainingRun:  # fmt: skip
    """Record a training run and enqueue it on the ``gpu`` queue once the transaction commits.

    With ``dataset_version`` the run trains on that frozen version's train split (``data_spec`` is then
    ``dataset-version:ID``); an empty or unlabelled version fails the run with the reason.
    """
    from readingroom.modeling.tasks import train_model

    if dataset_version is not None:
        data_spec = f"dataset-version:{dataset_version.pk}"
    elif not (data_spec.startswith("phantoms:") or data_spec.startswith("export:")):
        raise InvalidInput(f"data_spec must be phantoms:N or export:PATH, got {data_spec!r}")
    run = TrainingRun.objects.create(
        name=name,
        config_name=config_name,
        data_spec=data_spec,
        max_steps=max_steps,
        activate=activate,
        dataset_version=dataset_version,
        checkpoint_every=checkpoint_every,
        created_by=user,
    )
    transaction.on_commit(lambda: train_model.delay(run.pk))
    return run


def training_runs_abandon(*, name: str) -> int:
    """Mark the queued or running runs of ``name`` failed; returns how many.

    For the embedded mode's start-up, when no worker can still be running them: a run whose worker was
    stopped would otherwise stay "running" for ever.
    """
    return TrainingRun.objects.filter(
        name=name, status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
    ).update(status=TrainingRun.Status.FAILED, error="abandoned: the worker stopped before the run finished")


def _cogaze_data_spec(spec: str) -> str:
    if spec.startswith("export:"):
        return "export:" + str(media_path(spec.removeprefix("export:")))
    return spec


def training_run_execute(*, run_id: int, progress: bool = False) -> TrainingRun | None:
    """Train (or resume) a run; see :func:`readingroom.modeling.training.training_run_execute`."""
    from readingroom.modeling.training import training_run_execute as execute

    return execute(run_id=run_id, progress=progress)


_LABEL_STATES = {"present": 1, "absent": 0, "uncertain": -1, "not_mentioned": -2}  # cogaze.labels.LabelState


def report_label_states(text: str) -> np.ndarray:
    """The project's rule-based labeler as ``cogaze`` wants it: 14 label states in cogaze's order."""
    from cogaze.labels import OBSERVATIONS
    from readingroom.curation.labeler import report_label

    labels = report_label(text)
    return np.array([_LABEL_STATES[labels[name]] for name in OBSERVATIONS], dtype=np.int64)


def model_version_evaluate(
    *,
    model_version: ModelVersion,
    data_spec: str,
    split: str | None = "test",
    max_generate: int | None = None,
) -> dict:
    """Run cogaze's protocols on a dataset and keep the summary in the version's metrics.

    Zero-shot and head AUROC/F1 per observation, retrieval P@1/5/10 both ways, and BLEU, ROUGE-L, CIDEr and
    label micro-F1 of the generated findings (labelled by the project's rule-based labeler).
    """
    from cogaze import CogazeError
    from cogaze.data import open_dataset
    from cogaze.evaluate import evaluate

    checkpoint = media_path(model_version.checkpoint)
    if not checkpoint.is_file():
        raise NotFound(f"the checkpoint of model {model_version} is missing")
    predictor = _predictor(str(checkpoint))
    try:
        dataset = open_dataset(_cogaze_data_spec(data_spec), split=split if data_spec.startswith("export:") else None,
                               size=predictor.config.vision.image_size, seed=1)  # fmt: skip
        result = evaluate(predictor.model, dataset, max_generate=max_generate, labeler=report_label_states)
    except CogazeError as exc:
        raise InvalidInput(f"evaluation of {model_version} on {data_spec}: {exc}") from exc
    summary = {
        "data": data_spec,
        "split": split,
        "n": result.n,
        "zero_shot_macro_auroc": result.macro("zero_shot"),
        "head_macro_auroc": result.macro("head"),
        **{f"retrieval_{k}": v for k, v in result.retrieval.items()},
        **{f"generation_{k}": v for k, v in result.generation.items()},
    }
    summary = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in summary.items()}
    model_version.metrics = {**model_version.metrics, "evaluation": summary}
    model_version.save(update_fields=["metrics"])
    return summary


PREDICT_TASK = "readingroom.modeling.predict_session"


def prediction_queue(*, session: ReadingSession) -> Prediction:
    """Create the pending prediction and enqueue the worker task through the outbox (sent once committed)."""
    from readingroom.core.outbox import outbox_enqueue

    prediction, _ = Prediction.objects.update_or_create(
        session=session, defaults={"status": Prediction.Status.PENDING, "message": ""}
    )
    outbox_enqueue(task=PREDICT_TASK, args=[session.pk])
    return prediction


def _model_input(image: Image) -> np.ndarray:
    """The display rendering of an image as float32 (H, W) in [0, 1], as the model's exports store it."""
    return image_display_array(image).astype(np.float32) / 255.0


def image_predict(*, image: Image, model_version: ModelVersion, generate: bool = True):
    """Run a registered model on one image with its study's clinical context (a ``cogaze`` Prediction).

    ``generate=False`` skips the report draft (beam search), by far the slowest part on CPU.
    """
    from cogaze.data.export import context_text

    checkpoint = media_path(model_version.checkpoint)
    if not checkpoint.is_file():
        raise NotFound(f"the checkpoint of model {model_version} is missing")
    study = image.study
    context = context_text({"indication": study.indication, "history": study.history})
    return _predictor(str(checkpoint)).predict(
        _model_input(image), view_position=image.view_position or "PA", context=context, generate=generate
    )


def prediction_run(*, session_id: int) -> Prediction | None:
    """Run the active model on the session's image; None if the session is gone.

    Without a registered model the prediction says so plainly (status ``no_model``). A model that fails on
    the image leaves status ``failed`` with the reason. The outcome is pushed to the session's sockets
    (as far as the session's arm lets its reader see it) once committed. Idempotent: only a pending
    prediction is computed (a message delivered twice finds it finished).
    """
    from readingroom.reading.events import results_push_on_commit

    prediction = _prediction_compute(session_id=session_id)
    if prediction is not None:
        results_push_on_commit(session_id=session_id)
    return prediction


def _prediction_compute(*, session_id: int) -> Prediction | None:
    from cogaze import CogazeError

    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    prediction, _ = Prediction.objects.get_or_create(session=session)
    if prediction.status != Prediction.Status.PENDING:
        return prediction
    prediction.image = image = session_image(session=session)
    prediction.model_version = model_version = project_model_version(session.assignment.project)
    if model_version is None or image is None:
        prediction.status = Prediction.Status.NO_MODEL
        prediction.message = NO_MODEL_MESSAGE if model_version is None else "The study has no image."
        prediction.save()
        return prediction
    attention_name = f"predictions/session-{session.pk}/attention.png"
    try:
        output = image_predict(image=image, model_version=model_version)
        media_write(f"predictions/session-{session.pk}/attention.npy", npy_bytes(output.attention))
        media_write(attention_name, heatmap_png(output.attention))
    except (CogazeError, NotFound, OSError) as exc:  # OSError: also a full disk while writing its output
        prediction.status = Prediction.Status.FAILED
        prediction.message = f"Model {model_version} could not run: {exc}"
        prediction.save()
        return prediction
    prediction.status = Prediction.Status.DONE
    prediction.message = f"Model {model_version}. {model_version.description}".strip()
    prediction.probabilities = output.probabilities
    prediction.findings = output.findings
    prediction.attention_file = attention_name
    prediction.save()
    return prediction

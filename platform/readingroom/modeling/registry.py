"""The model registry per reading project: checks of a checkpoint, evaluation on a frozen held-out set,
promotion of the winner (one at a time), and rollback.

A promotion happens only through a stored :class:`ModelEvaluation` whose candidate beat the project's current
version by the configured metric and margin. The evaluation runs outside any lock (it is slow); the promotion
then locks the project's :class:`ProjectModel` row and refuses when the current version is no longer the one
the evaluation compared against, so of two promotions racing exactly one wins.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from readingroom.core.exceptions import Conflict, InvalidInput, NotFound
from readingroom.core.files import media_path
from readingroom.curation.models import DatasetVersion
from readingroom.modeling.models import ModelChange, ModelEvaluation, ModelVersion, ProjectModel
from readingroom.reading.models import ReadingProject

PROMOTION_METRICS = ("head_macro_auroc", "zero_shot_macro_auroc")


def _setting(name: str, default):
    return getattr(settings, name, default)


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_version_verify(*, model_version: ModelVersion) -> Path:
    """The checkpoint file of a version, after checking its SHA-256 and its configuration.

    Raises :class:`NotFound` for a missing file and :class:`InvalidInput` naming the version when the hash or
    the model-defining configuration differs from what the registry recorded.
    """
    from cogaze import CogazeConfig, CogazeError
    from cogaze.train import load_checkpoint

    path = media_path(model_version.checkpoint)
    if not path.is_file():
        raise NotFound(f"the checkpoint of model {model_version} is missing ({model_version.checkpoint})")
    if model_version.checkpoint_sha256:
        actual = file_sha256(path)
        if actual != model_version.checkpoint_sha256:
            raise InvalidInput(
                f"model {model_version}: checkpoint SHA-256 {actual} does not match the registered "
                f"{model_version.checkpoint_sha256}; the file was changed or replaced"
            )
    if model_version.config:
        try:
            load_checkpoint(path, expect=CogazeConfig.from_dict(model_version.config))
        except CogazeError as exc:
            raise InvalidInput(
                f"model {model_version}: the checkpoint does not match its registered configuration ({exc})"
            ) from exc
    return path


def project_model_version(project: ReadingProject | None) -> ModelVersion | None:
    """The version a project uses: its current one, else the global active version (the default)."""
    from readingroom.modeling.services import active_model_version

    if project is not None:
        row = ProjectModel.objects.filter(project=project).select_related("current").first()
        if row is not None and row.current is not None:
            return row.current
    return active_model_version()


def _current(project: ReadingProject) -> ModelVersion | None:
    row = ProjectModel.objects.filter(project=project).select_related("current").first()
    return row.current if row else None


@dataclass(frozen=True)
class HeldOut:
    """A frozen held-out set: a frozen dataset version (and split), or SYNTHETIC phantoms fixed by n and seed."""

    version: DatasetVersion | None = None
    split: str | None = "test"
    phantoms: int = 0
    seed: int = 1

    def __post_init__(self) -> None:
        if (self.version is None) == (self.phantoms <= 0):
            raise InvalidInput("held-out set: give either a frozen dataset version or a number of phantoms")

    @property
    def spec(self) -> str:
        if self.version is not None:
            return f"dataset-version:{self.version.pk}:{self.split or 'all'}"
        return f"phantoms:{self.phantoms}:seed={self.seed}"

    def open(self, image_size: int):
        """The held-out samples as a cogaze dataset (a dataset version is exported once, then reused)."""
        from cogaze.data import open_dataset

        if self.version is None:
            return open_dataset(f"phantoms:{self.phantoms}", size=image_size, seed=self.seed)
        from readingroom.curation.exports.cogaze import version_export_cogaze

        folder = media_path(f"learning/heldout/dataset-version-{self.version.pk}")
        if not (folder / "manifest.json").is_file():
            partial = folder.with_name(folder.name + ".part")
            if partial.exists():
                import shutil

                shutil.rmtree(partial)
            version_export_cogaze(version=self.version, root=partial)
            partial.replace(folder)
        return open_dataset(f"export:{folder}", split=self.split)


def heldout_metrics(*, model_version: ModelVersion, heldout: HeldOut) -> dict:
    """Classification metrics of a verified version on a held-out set (no text generation: fast)."""
    from cogaze import CogazeError
    from cogaze.evaluate import evaluate
    from cogaze.infer import Predictor

    path = model_version_verify(model_version=model_version)
    try:
        predictor = Predictor.from_checkpoint(path, device="cpu")
        dataset = heldout.open(predictor.config.vision.image_size)
        result = evaluate(predictor.model, dataset, generate=False)
    except CogazeError as exc:
        raise InvalidInput(f"evaluation of {model_version} on {heldout.spec}: {exc}") from exc
    values = {"n": result.n, **{m: result.macro(m.removesuffix("_macro_auroc")) for m in PROMOTION_METRICS}}
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def evaluation_run(
    *, project: ReadingProject, candidate: ModelVersion, heldout: HeldOut, metric: str | None = None,
    margin: float | None = None, user=None,
) -> ModelEvaluation:  # fmt: skip
    """Evaluate ``candidate`` and the project's current version on ``heldout``; store the result either way.

    ``metric`` and ``margin`` default to the settings ``LEARNING_PROMOTION_METRIC`` (head macro AUROC) and
    ``LEARNING_PROMOTION_MARGIN`` (0.0).
    """
    metric = metric or _setting("LEARNING_PROMOTION_METRIC", "head_macro_auroc")
    margin = float(_setting("LEARNING_PROMOTION_MARGIN", 0.0) if margin is None else margin)
    if metric not in PROMOTION_METRICS:
        raise InvalidInput(f"metric must be one of {', '.join(PROMOTION_METRICS)}, got {metric!r}")
    if not math.isfinite(margin) or margin < 0:
        raise InvalidInput(f"margin must be a finite number >= 0, got {margin!r}")
    baseline = _current(project)
    if baseline is not None and baseline.pk == candidate.pk:
        raise InvalidInput(f"model {candidate} is already the current version of project {project.name!r}")
    cand = heldout_metrics(model_version=candidate, heldout=heldout)
    base = heldout_metrics(model_version=baseline, heldout=heldout) if baseline is not None else None
    cand_value, base_value = cand[metric], (base[metric] if base else None)
    if cand_value is None:
        beats, reason = False, f"{metric} of the candidate is undefined on {heldout.spec} (one class only?)"
    elif baseline is None:
        beats, reason = True, "the project has no current version"
    elif base_value is None:
        beats, reason = True, f"{metric} of the current version is undefined on {heldout.spec}"
    else:
        beats = cand_value >= base_value + margin and cand_value > base_value
        verb = "beats" if beats else "does not beat"
        reason = f"{metric} {cand_value:.4f} {verb} {base_value:.4f} by the margin {margin}"
    return ModelEvaluation.objects.create(
        project=project, candidate=candidate, baseline=baseline, heldout_version=heldout.version,
        heldout_spec=heldout.spec, metric=metric, margin=margin, candidate_value=cand_value,
        baseline_value=base_value, beats=beats, reason=reason, details={"candidate": cand, "baseline": base},
        created_by=user,
    )  # fmt: skip


def _locked_row(project: ReadingProject) -> ProjectModel:
    """The project's row, locked until the transaction ends (created first if missing; racing creates agree)."""
    try:
        with transaction.atomic():
            ProjectModel.objects.get_or_create(project=project)
    except IntegrityError:
        pass  # another transaction created it first
    return ProjectModel.objects.select_for_update().get(project=project)


def evaluation_promote(*, evaluation: ModelEvaluation, user=None) -> ModelChange:
    """Make the evaluated candidate the project's current version.

    Refused (:class:`Conflict`, nothing changed) when the candidate did not beat the baseline, when the
    evaluation was already used, or when the current version changed since the evaluation (another
    promotion won the race: evaluate again against the new current version).
    """
    if not evaluation.beats:
        raise Conflict(f"evaluation {evaluation.pk}: the candidate did not win ({evaluation.reason})")
    with transaction.atomic():
        row = _locked_row(evaluation.project)
        evaluation = ModelEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        if evaluation.promoted:
            raise Conflict(f"evaluation {evaluation.pk} has already promoted {evaluation.candidate}")
        if row.current_id != evaluation.baseline_id:
            raise Conflict(
                f"the current version of project {evaluation.project.name!r} changed since evaluation "
                f"{evaluation.pk} (now {row.current}); evaluate {evaluation.candidate} again"
            )
        change = ModelChange.objects.create(
            project=evaluation.project, kind=ModelChange.Kind.PROMOTE, previous_id=row.current_id,
            current=evaluation.candidate, evaluation=evaluation, created_by=user,
        )  # fmt: skip
        row.current = evaluation.candidate
        row.save(update_fields=["current", "updated_at"])
        evaluation.promoted = True
        evaluation.save(update_fields=["promoted"])
    return change


def model_version_promote(
    *, project: ReadingProject, candidate: ModelVersion, heldout: HeldOut, metric: str | None = None,
    margin: float | None = None, user=None,
) -> ModelEvaluation:  # fmt: skip
    """Evaluate, then promote if the candidate won. Returns the stored evaluation (``promoted`` tells)."""
    evaluation = evaluation_run(project=project, candidate=candidate, heldout=heldout, metric=metric,
                                margin=margin, user=user)  # fmt: skip
    if evaluation.beats:
        try:
            evaluation_promote(evaluation=evaluation, user=user)
        except Conflict as exc:
            evaluation.reason = f"{evaluation.reason}; not promoted: {exc}"
            evaluation.save(update_fields=["reason"])
        evaluation.refresh_from_db()
    return evaluation


def project_rollback(*, project: ReadingProject, user=None) -> ModelChange:
    """Return the project to the version that was current before its current one was promoted."""
    with transaction.atomic():
        row = _locked_row(project)
        if row.current_id is None:
            raise Conflict(f"project {project.name!r} has no current model version to roll back")
        last = (
            ModelChange.objects.filter(
                project=project, kind=ModelChange.Kind.PROMOTE, current_id=row.current_id
            )
            .order_by("-pk")
            .first()
        )
        if last is None or last.previous_id is None:
            raise Conflict(f"project {project.name!r}: {row.current} has no previous version to roll back to")
        change = ModelChange.objects.create(project=project, kind=ModelChange.Kind.ROLLBACK,
                                            previous_id=row.current_id, current_id=last.previous_id,
                                            created_by=user)  # fmt: skip
        row.current_id = last.previous_id
        row.save(update_fields=["current", "updated_at"])
    return change

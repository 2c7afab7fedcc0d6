"""The model registry per reading project: checks of a checkpoint, evaluation on a frozen held-out set,
promotion of the winner (one at a time), and rollback.

A promotion happens only through a stored :class:`ModelEvaluation` whose candidate beat the project's current
version by the configured metric and margin. The evaluation runs outside any lock (it is slow); the promotion
then locks the project's :class:`ProjectModel` row and refuses when the current version is no longer the one
the evaluation compared against, so of two promotions racing exactly one wins. The API queues the evaluation
(:func:`evaluation_queue`) for a worker (:func:`evaluation_execute`); a learning round, already in a task,
evaluates at once (:func:`model_version_promote`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

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

    @classmethod
    def from_spec(cls, spec: str) -> HeldOut:
        """The held-out set a stored :attr:`spec` names (the inverse of :attr:`spec`).

        >>> HeldOut.from_spec("phantoms:8:seed=3")
        HeldOut(version=None, split='test', phantoms=8, seed=3)
        """
        kind, _, rest = spec.partition(":")
        try:
            if kind == "phantoms":
                n, _, seed = rest.partition(":seed=")
                return cls(phantoms=int(n), seed=int(seed))
            if kind == "dataset-version":
                pk, _, split = rest.partition(":")
                version = DatasetVersion.objects.filter(pk=int(pk)).first()
                if version is None:
                    raise NotFound(f"held-out set {spec}: dataset version {pk} no longer exists")
                return cls(version=version, split=None if split == "all" else split)
        except ValueError as exc:
            raise InvalidInput(f"held-out set {spec!r} is not a stored held-out specification") from exc
        raise InvalidInput(f"held-out set {spec!r} is not a stored held-out specification")

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


EVALUATE_TASK = "readingroom.modeling.evaluate_and_promote"


def _checked(metric: str | None, margin: float | None) -> tuple[str, float]:
    """``metric`` and ``margin`` with their defaults (settings), or :class:`InvalidInput` naming the bad one."""
    metric = metric or _setting("LEARNING_PROMOTION_METRIC", "head_macro_auroc")
    margin = float(_setting("LEARNING_PROMOTION_MARGIN", 0.0) if margin is None else margin)
    if metric not in PROMOTION_METRICS:
        raise InvalidInput(f"metric must be one of {', '.join(PROMOTION_METRICS)}, got {metric!r}")
    if not math.isfinite(margin) or margin < 0:
        raise InvalidInput(f"margin must be a finite number >= 0, got {margin!r}")
    return metric, margin


def _not_current(project: ReadingProject, candidate: ModelVersion) -> ModelVersion | None:
    """The project's current version, refused (:class:`InvalidInput`) when it is ``candidate`` already."""
    baseline = _current(project)
    if baseline is not None and baseline.pk == candidate.pk:
        raise InvalidInput(f"model {candidate} is already the current version of project {project.name!r}")
    return baseline


def _compare(*, candidate: ModelVersion, baseline: ModelVersion | None, heldout: HeldOut, metric: str,
             margin: float) -> dict:  # fmt: skip
    """The fields of an evaluation that running it fills: both values, ``beats``, the reason, details."""
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
    return {"baseline": baseline, "candidate_value": cand_value, "baseline_value": base_value, "beats": beats,
            "reason": reason, "details": {"candidate": cand, "baseline": base}}  # fmt: skip


def evaluation_run(
    *, project: ReadingProject, candidate: ModelVersion, heldout: HeldOut, metric: str | None = None,
    margin: float | None = None, user=None,
) -> ModelEvaluation:  # fmt: skip
    """Evaluate ``candidate`` and the project's current version on ``heldout`` now; store the result (``done``).

    ``metric`` and ``margin`` default to the settings ``LEARNING_PROMOTION_METRIC`` (head macro AUROC) and
    ``LEARNING_PROMOTION_MARGIN`` (0.0). Slow: for tasks (a learning round); the API queues instead
    (:func:`evaluation_queue`).
    """
    metric, margin = _checked(metric, margin)
    baseline = _not_current(project, candidate)
    fields = _compare(candidate=candidate, baseline=baseline, heldout=heldout, metric=metric, margin=margin)
    return ModelEvaluation.objects.create(
        project=project, candidate=candidate, heldout_version=heldout.version, heldout_spec=heldout.spec,
        metric=metric, margin=margin, status=ModelEvaluation.Status.DONE, created_by=user, **fields,
    )  # fmt: skip


def evaluation_queue(
    *, project: ReadingProject, candidate: ModelVersion, heldout: HeldOut, metric: str | None = None,
    margin: float | None = None, user=None,
) -> ModelEvaluation:  # fmt: skip
    """Store a ``queued`` evaluation and enqueue its task (queue ``gpu``) once the transaction commits.

    The worker evaluates it (:func:`evaluation_execute`) and promotes the candidate if it won. The input is
    checked here (:class:`InvalidInput`), so a bad request is answered at once; the baseline is the current
    version when the worker runs it, not now.
    """
    from readingroom.core.outbox import outbox_enqueue

    metric, margin = _checked(metric, margin)
    _not_current(project, candidate)
    with transaction.atomic():
        evaluation = ModelEvaluation.objects.create(
            project=project, candidate=candidate, heldout_version=heldout.version, heldout_spec=heldout.spec,
            metric=metric, margin=margin, status=ModelEvaluation.Status.QUEUED, created_by=user,
        )  # fmt: skip
        outbox_enqueue(task=EVALUATE_TASK, args=[evaluation.pk])
    return evaluation


def _claim(evaluation_id: int) -> ModelEvaluation | None:
    """The evaluation, switched from queued to running; None when it is gone or not queued (a redelivery)."""
    with transaction.atomic():
        evaluation = ModelEvaluation.objects.select_for_update().filter(pk=evaluation_id).first()
        if evaluation is None or evaluation.status != ModelEvaluation.Status.QUEUED:
            return None
        evaluation.status = ModelEvaluation.Status.RUNNING
        evaluation.save(update_fields=["status", "updated_at"])
    return evaluation


def evaluation_execute(*, evaluation_id: int) -> ModelEvaluation | None:
    """Run a queued evaluation, then promote its candidate if it won; returns it (None if it was deleted).

    Only a ``queued`` evaluation runs: a redelivered task of a running, done or failed one changes nothing.
    A candidate, baseline or held-out set that cannot be evaluated leaves it ``failed`` with the reason (any
    other error is raised and leaves it running: the reaper queues it again, then fails it); a promotion
    refused because another one won the race leaves it ``done`` and not promoted, with the reason.
    """
    from cogaze import CogazeError

    evaluation = _claim(evaluation_id)
    if evaluation is None:
        return ModelEvaluation.objects.filter(pk=evaluation_id).first()
    try:
        heldout = HeldOut.from_spec(evaluation.heldout_spec)
        baseline = _not_current(evaluation.project, evaluation.candidate)
        fields = _compare(candidate=evaluation.candidate, baseline=baseline, heldout=heldout,
                          metric=evaluation.metric, margin=evaluation.margin)  # fmt: skip
    except (InvalidInput, NotFound, CogazeError, OSError, ValueError) as exc:  # others: the reaper's turn
        ModelEvaluation.objects.filter(pk=evaluation.pk).update(
            status=ModelEvaluation.Status.FAILED, error=str(exc), updated_at=timezone.now()
        )
        evaluation.refresh_from_db()
        return evaluation
    finished = ModelEvaluation.objects.filter(pk=evaluation.pk, status=ModelEvaluation.Status.RUNNING).update(
        status=ModelEvaluation.Status.DONE, updated_at=timezone.now(), **fields
    )
    evaluation.refresh_from_db()
    if not finished:  # the reaper took it back meanwhile (it ran too long): its next run decides
        return evaluation
    return _promote_if_won(evaluation, user=evaluation.created_by)


def evaluations_recover(*, stuck_after_s: float, max_attempts: int) -> tuple[int, int]:
    """Queue again the evaluations a lost worker left queued or running for longer than ``stuck_after_s``;
    one enqueued ``max_attempts`` times already fails instead. Returns (requeued, failed)."""
    from readingroom.core.recovery import stuck_work_recover

    result = stuck_work_recover(
        ModelEvaluation, EVALUATE_TASK, [ModelEvaluation.Status.QUEUED, ModelEvaluation.Status.RUNNING],
        requeue_status=ModelEvaluation.Status.QUEUED, arg_field="pk", failed_field="error",
        cutoff=timezone.now() - timedelta(seconds=stuck_after_s), max_attempts=max_attempts,
    )  # fmt: skip
    return result.requeued, result.failed


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
    if evaluation.status != ModelEvaluation.Status.DONE:
        raise Conflict(f"evaluation {evaluation.pk} is {evaluation.status}, not done")
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


def _promote_if_won(evaluation: ModelEvaluation, *, user) -> ModelEvaluation:
    """Promote a done evaluation's candidate if it won; a refused promotion is noted in its reason."""
    if evaluation.beats:
        try:
            evaluation_promote(evaluation=evaluation, user=user)
        except Conflict as exc:
            evaluation.reason = f"{evaluation.reason}; not promoted: {exc}"
            evaluation.save(update_fields=["reason", "updated_at"])
        evaluation.refresh_from_db()
    return evaluation


def model_version_promote(
    *, project: ReadingProject, candidate: ModelVersion, heldout: HeldOut, metric: str | None = None,
    margin: float | None = None, user=None,
) -> ModelEvaluation:  # fmt: skip
    """Evaluate now, then promote if the candidate won. Returns the stored evaluation (``promoted`` tells)."""
    evaluation = evaluation_run(project=project, candidate=candidate, heldout=heldout, metric=metric,
                                margin=margin, user=user)  # fmt: skip
    return _promote_if_won(evaluation, user=user)


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

"""Active-learning rounds of a reading project: score the unread pool with the project's current model,
select, assign to the loop's readers, wait for the reads, retrain on every read so far, evaluate on the frozen
held-out set and promote through the registry only if the new model wins.

Scoring and retraining are slow; they run in the Celery task ``readingroom.learning.tick`` (queue ``gpu``),
triggered after each submitted report of a project with a loop and by a beat schedule.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from readingroom.core.exceptions import Conflict, InvalidInput, NotFound
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.learning.scoring import ScoreRequest, StudyOutput, score
from readingroom.learning.selectors import studies_reader_labels
from readingroom.learning.strategies import SelectRequest, select
from readingroom.modeling.registry import HeldOut, model_version_promote, project_model_version
from readingroom.reading.models import Assignment, Report
from readingroom.reading.services import project_assign
from readingroom.studies.models import Image

GazeLookup = Callable[[Image], "np.ndarray | None"]


def loop_reports(loop: LearningLoop):
    """The submitted reports of the loop's project (each a read)."""
    return Report.objects.filter(session__assignment__project=loop.project).select_related(
        "session__assignment__study"
    )


def _open_round(loop: LearningLoop) -> LearningRound | None:
    return loop.rounds.filter(status__in=LearningRound.OPEN).first()


def _unread_pool(loop: LearningLoop) -> list[Image]:
    taken = set(Assignment.objects.filter(project=loop.project).values_list("study_id", flat=True))
    return [img for img in loop.pool.select_related("study").order_by("pk") if img.study_id not in taken]


def _ensemble(loop: LearningLoop, current) -> list:
    """Earlier models of the loop (up to two, newest first) whose disagreement with the current one
    ``mc_disagreement`` measures (the cogaze models have no dropout to sample)."""
    earlier = loop.rounds.filter(status=LearningRound.Status.DONE, model_after__isnull=False).exclude(
        model_after=current
    )
    return [r.model_after for r in earlier.select_related("model_after").order_by("-number")[:2]]


def _pool_outputs(
    images: list[Image], model_version, gaze_for: GazeLookup | None, ensemble=(), reader_labels=None
) -> list[StudyOutput]:
    """The model's outputs over ``images``, with the gaze and the labels (study id -> 14 values, see
    :func:`.selectors.studies_reader_labels`) readers left on them where known."""
    from readingroom.modeling.services import image_predict

    reader_labels = reader_labels or {}
    outputs = []
    for image in images:
        pred = image_predict(image=image, model_version=model_version, generate=False)  # scores need no draft
        probs = np.array(list(pred.probabilities.values()))
        others = [list(image_predict(image=image, model_version=m, generate=False).probabilities.values())
                  for m in ensemble]  # fmt: skip
        outputs.append(StudyOutput(
            key=str(image.study_id), probabilities=probs, embedding=pred.embedding, attention=pred.attention,
            gaze=gaze_for(image) if gaze_for else None, samples=np.array([probs, *others]) if others else None,
            reader_labels=reader_labels.get(image.study_id),
        ))  # fmt: skip
    return outputs


def round_start(*, loop: LearningLoop, user=None, gaze_for: GazeLookup | None = None) -> LearningRound:
    """Open the next round: score the unread pool, select ``per_round`` studies, assign them to the readers.

    Refused (:class:`Conflict`) while another round of the loop is open, once the loop has stopped, or when
    the pool has nothing unread. Without a model version every study scores nan and the strategy's random
    tie-break decides. ``gaze_for`` gives a gaze density per image when one was recorded (attention-gaze);
    the labels readers gave a study outside the project, and its curated labels, are its reader labels
    (reader-disagreement; a study without any scores nan).
    """
    readers = list(loop.readers.order_by("pk"))
    if not readers:
        raise InvalidInput(f"the learning loop of {loop.project} has no readers to assign to")
    if loop.stopped_reason:
        raise Conflict(f"the learning loop of {loop.project} has stopped: {loop.stopped_reason}")
    previous = _open_round(loop)
    if previous is not None:
        raise Conflict(f"round {previous.number} of {loop.project} is still open ({previous.status})")
    unread = _unread_pool(loop)
    if not unread:
        raise Conflict(f"the pool of {loop.project} has no unread study left")
    number = (loop.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    try:
        with transaction.atomic():
            rnd = LearningRound.objects.create(
                loop=loop, number=number, scoring=loop.scoring, strategy=loop.strategy, created_by=user,
                model_before=project_model_version(loop.project), reads_at_start=loop_reports(loop).count(),
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(f"another round of {loop.project} was started at the same time") from exc
    try:
        if loop.scoring and rnd.model_before is not None:
            ensemble = _ensemble(loop, rnd.model_before) if loop.scoring == "mc_disagreement" else []
            known = studies_reader_labels(study_ids=[img.study_id for img in unread], project=loop.project)
            outputs = _pool_outputs(unread, rnd.model_before, gaze_for, ensemble, known)
            labelled = [o.embedding for o in _pool_outputs(_read_images(loop), rnd.model_before, None)]
            scores = score(
                loop.scoring, ScoreRequest(outputs, np.stack(labelled) if labelled else None)
            ).scores
            embeddings = np.stack([o.embedding for o in outputs])
        else:
            scores, embeddings = np.full(len(unread), np.nan), None
        if loop.strategy == "diverse" and embeddings is None:
            picks = select("random", SelectRequest(scores, loop.per_round, seed=number))
        else:
            picks = select(
                loop.strategy, SelectRequest(scores, loop.per_round, seed=number, embeddings=embeddings)
            )
    except Exception as exc:
        rnd.status, rnd.error, rnd.finished_at = (
            LearningRound.Status.FAILED,
            f"scoring: {exc}",
            timezone.now(),
        )
        rnd.save(update_fields=["status", "error", "finished_at"])
        raise InvalidInput(f"round {number} of {loop.project} could not score the pool: {exc}") from exc
    value = lambda v: None if np.isnan(v) else float(v)  # noqa: E731
    chosen = [unread[i] for i in picks]
    with transaction.atomic():
        for j, reader in enumerate(readers):
            project_assign(
                project=loop.project, reader=reader, studies=[img.study for img in chosen[j :: len(readers)]]
            )
        rnd.selected = [
            {"study": img.study_id, "image": img.pk, "score": value(scores[i])}
            for img, i in zip(chosen, picks, strict=True)
        ]
        rnd.scores = {str(img.study_id): value(s) for img, s in zip(unread, scores, strict=True)}
        rnd.save(update_fields=["selected", "scores"])
    return rnd


def _read_images(loop: LearningLoop) -> list[Image]:
    from readingroom.gaze.services import session_image

    return [img for r in loop_reports(loop) if (img := session_image(session=r.session)) is not None]


def round_unread(rnd: LearningRound) -> list[int]:
    """Study ids of the round's selection without a submitted report yet."""
    read = set(loop_reports(rnd.loop).values_list("session__assignment__study_id", flat=True))
    return [s["study"] for s in rnd.selected if s["study"] not in read]


def training_samples(loop: LearningLoop) -> list:
    """cogaze samples of every read of the project with report text: the display image, labels, findings."""
    from cogaze.data import Sample
    from cogaze.data.export import context_text
    from cogaze.labels import OBSERVATION_INDEX
    from readingroom.gaze.services import session_image
    from readingroom.modeling.services import _LABEL_STATES, _model_input

    samples = []
    for report in loop_reports(loop).order_by("pk"):
        image = session_image(session=report.session)
        text = (report.findings or report.impression).strip()
        if image is None or not text:
            continue
        labels = np.full(len(OBSERVATION_INDEX), _LABEL_STATES["not_mentioned"], dtype=np.int8)
        for name, state in (report.labels or {}).items():
            if name in OBSERVATION_INDEX and state in _LABEL_STATES:
                labels[OBSERVATION_INDEX[name]] = _LABEL_STATES[state]
        study = image.study
        samples.append(Sample(
            study_id=f"S{study.pk}", image=_model_input(image), view_position=image.view_position or "PA",
            context=context_text({"indication": study.indication, "history": study.history}), findings=text,
            labels=labels, sentences=[text], heatmaps=None, image_id=f"I{image.pk}",
        ).validate())  # fmt: skip
    return samples


def _heldout(loop: LearningLoop) -> HeldOut:
    if loop.heldout_version is not None:
        return HeldOut(version=loop.heldout_version, split=None)
    return HeldOut(phantoms=loop.heldout_phantoms, seed=1000)


def _warm_start(rnd: LearningRound, loop: LearningLoop) -> Path | None:
    """The checkpoint the round's retraining continues from: the model the round started with, when it has the
    loop's configuration (its hash checked); None (from scratch) otherwise. Trained from scratch for a fixed
    number of steps on ever more reads, the tiny model stayed at chance (benchmarks/README.md, "Learning
    curves on phantoms"); continuing from the last model is what made the held-out curve rise."""
    from readingroom.modeling.registry import model_version_verify

    start = rnd.model_before
    if start is None or start.config_name != loop.config_name:
        return None
    return model_version_verify(model_version=start)


def round_finish(*, rnd: LearningRound, user=None) -> LearningRound:
    """Retrain on every read so far (continuing from the round's starting model, see :func:`_warm_start`),
    evaluate on the held-out set, promote if better, close the round."""
    from cogaze import CogazeError, load_config
    from cogaze.data import ListDataset
    from cogaze.train import train
    from readingroom.modeling.services import model_version_register

    with transaction.atomic():
        rnd = LearningRound.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status != LearningRound.Status.READING:
            raise Conflict(f"round {rnd.number} of {rnd.loop.project} is {rnd.status}, not waiting for reads")
        missing = round_unread(rnd)
        if missing:
            raise Conflict(
                f"round {rnd.number}: {len(missing)} of {len(rnd.selected)} selected studies are unread"
            )
        rnd.status = LearningRound.Status.TRAINING
        rnd.save(update_fields=["status"])
    loop = rnd.loop
    try:
        samples = training_samples(loop)
        if not samples:
            raise InvalidInput("no read of the project has report text and an image to train on")
        config = load_config(loop.config_name)
        with tempfile.TemporaryDirectory() as tmp:
            result = train(
                config,
                ListDataset(samples),
                out_dir=Path(tmp),
                max_steps=loop.train_steps,
                progress=False,
                init_from=_warm_start(rnd, loop),
            )
            version = model_version_register(
                checkpoint=result.checkpoint, name=f"learning-project-{loop.project_id}", version=f"round-{rnd.number}",
                description=f"{loop.config_name} retrained on {len(samples)} reads of {loop.project} (round {rnd.number})",
                metrics={"steps": result.steps, "reads": len(samples)}, activate=False, user=user,
            )  # fmt: skip
        evaluation = model_version_promote(
            project=loop.project, candidate=version, heldout=_heldout(loop), user=user
        )
    except (CogazeError, InvalidInput, NotFound, OSError) as exc:
        rnd.status, rnd.error, rnd.finished_at = LearningRound.Status.FAILED, str(exc), timezone.now()
        rnd.save(update_fields=["status", "error", "finished_at"])
        return rnd
    rnd.status, rnd.model_after, rnd.evaluation = LearningRound.Status.DONE, version, evaluation
    rnd.heldout_value, rnd.reads_at_end, rnd.finished_at = (
        evaluation.candidate_value,
        len(samples),
        timezone.now(),
    )
    rnd.save()
    loop_check_plateau(loop=loop)
    return rnd


def loop_check_plateau(*, loop: LearningLoop) -> str:
    """Stop the loop when the best held-out value of the last ``plateau_rounds`` rounds improved on the best
    before them by less than ``plateau_delta``; returns the reason ("" while it still improves)."""
    values = [v for v in loop.rounds.filter(status=LearningRound.Status.DONE).order_by("number")
              .values_list("heldout_value", flat=True) if v is not None]  # fmt: skip
    n = loop.plateau_rounds
    if n == 0 or len(values) <= n:
        return ""
    before, recent = max(values[:-n]), max(values[-n:])
    if recent - before < loop.plateau_delta:
        loop.stopped_reason = (f"held-out metric plateaued: best {recent:.4f} in the last {n} rounds against "
                               f"{before:.4f} before (less than {loop.plateau_delta} better)")  # fmt: skip
        loop.save(update_fields=["stopped_reason"])
    return loop.stopped_reason


def loop_tick(*, loop: LearningLoop) -> LearningRound | None:
    """Advance the loop: finish a round whose reads are in, or start one after ``retrain_every`` new reads."""
    rnd = _open_round(loop)
    if rnd is not None:
        if rnd.status == LearningRound.Status.READING and not round_unread(rnd):
            return round_finish(rnd=rnd)
        return None
    if loop.stopped_reason or not loop.retrain_every:
        return None
    last = loop.rounds.filter(status=LearningRound.Status.DONE).order_by("-number").first()
    since = loop_reports(loop).count() - ((last.reads_at_end or 0) if last else 0)
    if since >= loop.retrain_every and _unread_pool(loop):
        return round_start(loop=loop)
    return None


def _pool_images(
    *, study_ids: list[int] | None, cohort_id: int | None, dataset_version_id: int | None, split: str | None
) -> list[Image]:
    """One image per study (the first by id) of exactly one pool source."""
    from readingroom.curation.models import Cohort, DatasetItem, DatasetVersion
    from readingroom.curation.selectors import cohort_filter_images

    given = [name for name, value in (("pool_studies", study_ids), ("pool_cohort", cohort_id),
                                      ("pool_dataset_version", dataset_version_id)) if value is not None]  # fmt: skip
    if len(given) != 1:
        raise InvalidInput("pool: give exactly one of pool_studies, pool_cohort or pool_dataset_version")
    if study_ids is not None:
        images = list(Image.objects.filter(study_id__in=study_ids).order_by("pk"))
        without = sorted(set(study_ids) - {img.study_id for img in images})
        if without:
            raise InvalidInput(f"pool_studies: no study with an image for id {', '.join(map(str, without))}")
    elif cohort_id is not None:
        cohort = Cohort.objects.filter(pk=cohort_id).first()
        if cohort is None:
            raise InvalidInput(f"pool_cohort: no cohort {cohort_id}")
        images = cohort_filter_images(filters=cohort.filters)
    else:
        if not DatasetVersion.objects.filter(pk=dataset_version_id).exists():
            raise InvalidInput(f"pool_dataset_version: no dataset version {dataset_version_id}")
        items = DatasetItem.objects.filter(version_id=dataset_version_id)
        if split:
            items = items.filter(split=split)
        images = [item.image for item in items.select_related("image").order_by("image_id")]
    first: dict[int, Image] = {}
    for image in images:
        first.setdefault(image.study_id, image)
    if not first:
        raise InvalidInput(f"{given[0]}: the pool is empty (no study with an image)")
    return list(first.values())


def _check_names(*, scoring: str, strategy: str, config_name: str | None = None) -> None:
    from cogaze.config import available_presets
    from readingroom.learning.scoring import SCORING_METHODS
    from readingroom.learning.strategies import STRATEGIES

    if scoring and scoring not in SCORING_METHODS:
        raise InvalidInput(f"scoring: unknown method {scoring!r}; known: {', '.join(sorted(SCORING_METHODS))} "
                           "(or empty for random)")  # fmt: skip
    if strategy not in STRATEGIES:
        raise InvalidInput(f"strategy: unknown strategy {strategy!r}; known: {', '.join(sorted(STRATEGIES))}")
    if config_name is not None and config_name not in available_presets():
        raise InvalidInput(
            f"config_name: unknown preset {config_name!r}; presets: {', '.join(available_presets())}"
        )


def loop_create(
    *, project_id: int, reader_ids: list[int], user=None, pool_studies: list[int] | None = None,
    pool_cohort: int | None = None, pool_dataset_version: int | None = None, pool_split: str | None = None,
    scoring: str = "", strategy: str = "top_k", per_round: int = 8, heldout_version: int | None = None,
    heldout_phantoms: int = 0, config_name: str = "tiny", train_steps: int = 40, retrain_every: int = 0,
    plateau_rounds: int = 3, plateau_delta: float = 0.005,
) -> LearningLoop:  # fmt: skip
    """Give a reading project its learning loop (a project has at most one).

    The pool is one image per study (the first by id) of the given study ids, of a cohort's images, or of a
    frozen dataset version (optionally one split). The held-out set is a frozen dataset version that shares
    no study with the pool, or ``heldout_phantoms`` SYNTHETIC phantoms: exactly one of the two. Every refusal
    names the field: :class:`InvalidInput` for bad values, :class:`Conflict` when the project has a loop.
    """
    from readingroom.core.services import audit_record
    from readingroom.curation.models import DatasetItem, DatasetVersion
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.study_services import readers_check

    project = ReadingProject.objects.filter(pk=project_id).first()
    if project is None:
        raise InvalidInput(f"project: no reading project {project_id}")
    if LearningLoop.objects.filter(project=project).exists():
        raise Conflict(f"project: {project} already has a learning loop")
    _check_names(scoring=scoring, strategy=strategy, config_name=config_name)
    if not reader_ids:
        raise InvalidInput("reader_ids: a learning loop needs at least one reader")
    readers = readers_check(reader_ids)
    images = _pool_images(study_ids=pool_studies, cohort_id=pool_cohort, dataset_version_id=pool_dataset_version,
                          split=pool_split)  # fmt: skip
    if (heldout_version is None) == (heldout_phantoms == 0):
        raise InvalidInput("heldout: give heldout_version or heldout_phantoms (one of the two)")
    version = None
    if heldout_version is not None:
        version = DatasetVersion.objects.filter(pk=heldout_version).first()
        if version is None:
            raise InvalidInput(f"heldout_version: no dataset version {heldout_version}")
        shared = DatasetItem.objects.filter(
            version=version, image__study_id__in=[img.study_id for img in images]
        )
        if shared.exists():
            raise InvalidInput(f"heldout_version: {shared.values('image__study_id').distinct().count()} "
                               "pool studies are also in the held-out set")  # fmt: skip
    for name, value, least in (("per_round", per_round, 1), ("train_steps", train_steps, 1),
                               ("retrain_every", retrain_every, 0), ("plateau_rounds", plateau_rounds, 0)):  # fmt: skip
        if value < least:
            raise InvalidInput(f"{name} must be at least {least}, got {value}")
    try:
        with transaction.atomic():
            loop = LearningLoop.objects.create(
                project=project, scoring=scoring, strategy=strategy, per_round=per_round, heldout_version=version,
                heldout_phantoms=heldout_phantoms if version is None else 0, config_name=config_name,
                train_steps=train_steps, retrain_every=retrain_every, plateau_rounds=plateau_rounds,
                plateau_delta=plateau_delta,
            )  # fmt: skip
            loop.pool.set(images)
            loop.readers.set(readers)
            audit_record(actor=user, action="learning.loop.create", target=f"loop:{loop.pk}",
                         detail={"project": project.pk, "pool": len(images), "readers": len(readers)})  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(f"project: {project} got a learning loop at the same time") from exc
    return loop


def loop_update(
    *, loop: LearningLoop, user=None, scoring: str | None = None, strategy: str | None = None,
    per_round: int | None = None, retrain_every: int | None = None,
) -> LearningLoop:  # fmt: skip
    """Change how the next rounds choose (scoring, strategy, per_round) and when they start (retrain_every);
    an open round keeps what it started with. ``None`` leaves a setting as it is."""
    from readingroom.core.services import audit_record

    changes = {k: v for k, v in (("scoring", scoring), ("strategy", strategy), ("per_round", per_round),
                                 ("retrain_every", retrain_every)) if v is not None}  # fmt: skip
    _check_names(
        scoring=changes.get("scoring", loop.scoring), strategy=changes.get("strategy", loop.strategy)
    )
    if changes.get("per_round", 1) < 1:
        raise InvalidInput(f"per_round must be at least 1, got {per_round}")
    if changes.get("retrain_every", 0) < 0:
        raise InvalidInput(f"retrain_every must be 0 (off) or more, got {retrain_every}")
    if not changes:
        return loop
    for name, value in changes.items():
        setattr(loop, name, value)
    with transaction.atomic():
        loop.save(update_fields=list(changes))
        audit_record(actor=user, action="learning.loop.update", target=f"loop:{loop.pk}", detail=changes)
    return loop

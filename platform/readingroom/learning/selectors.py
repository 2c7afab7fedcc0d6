"""Reads for the learning services and API: labels readers already gave pool studies, a loop's learning
curve, flat tables for CSV downloads."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from readingroom.learning.models import LearningLoop, LearningRound

_LABEL_VALUE = {"present": 1.0, "absent": 0.0}  # uncertain, not mentioned or missing: nan (no evidence)


def label_vector(labels: dict[str, str] | None) -> np.ndarray:
    """14 values in cogaze's observation order: present 1, absent 0, anything else nan.

    >>> label_vector({"Cardiomegaly": "present", "Edema": "absent", "Pneumonia": "uncertain"})[[2, 5, 7, 0]]
    array([ 1.,  0., nan, nan])
    """
    from cogaze.labels import OBSERVATIONS

    labels = labels or {}
    return np.array([_LABEL_VALUE.get(labels.get(name, ""), np.nan) for name in OBSERVATIONS])


def studies_reader_labels(*, study_ids: Iterable[int], project=None) -> dict[int, np.ndarray]:
    """What is already known of each study's 14 labels: study id -> the mean over its label sets.

    The label sets are the ``labels`` of every submitted report of the study outside ``project`` (each a
    reader's read, the readers' structured labels or the report labeler's) and the study's curated labels
    (imported with the data set, from its label file or its report text by the labeler, or edited by a
    curator). Present counts 1 and absent 0; uncertain and not mentioned are no evidence (nan), so each
    observation's mean is over the sets that state it. A study without any label set is left out; one whose
    sets state nothing maps to all nan.
    """
    from readingroom.curation.models import StudyLabels
    from readingroom.reading.models import Report

    ids = list(study_ids)
    sets: dict[int, list[np.ndarray]] = defaultdict(list)
    reports = Report.objects.filter(session__assignment__study_id__in=ids)
    if project is not None:
        reports = reports.exclude(session__assignment__project=project)
    for study_id, labels in reports.values_list("session__assignment__study_id", "labels"):
        sets[study_id].append(label_vector(labels))
    curated = StudyLabels.objects.filter(study_id__in=ids).exclude(source=StudyLabels.Source.READER)
    for study_id, labels in curated.values_list(
        "study_id", "labels"
    ):  # READER: a report's copy, counted above
        sets[study_id].append(label_vector(labels))
    return {study_id: _nanmean(vectors) for study_id, vectors in sets.items()}


def _nanmean(vectors: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack(vectors)
    known = (~np.isnan(stacked)).sum(axis=0)
    total = np.nansum(stacked, axis=0)
    return np.where(known > 0, total / np.maximum(known, 1), np.nan)


def loop_curve(*, loop: LearningLoop) -> dict:
    """Held-out metric of each finished round's retrained model against the number of reads."""
    points = []
    for rnd in (
        loop.rounds.filter(status=LearningRound.Status.DONE).select_related("evaluation").order_by("number")
    ):
        evaluation = rnd.evaluation
        points.append({
            "round": rnd.number, "reads": rnd.reads_at_end, "heldout_value": rnd.heldout_value,
            "metric": evaluation.metric if evaluation else None, "promoted": bool(evaluation and evaluation.promoted),
            "model_version": rnd.model_after_id,
        })  # fmt: skip
    return {"loop": loop.pk, "stopped_reason": loop.stopped_reason, "points": points}


def learning_options() -> dict[str, list[str]]:
    """The names a loop or a promotion may use: registered scoring methods and strategies, packaged cogaze
    presets, and the held-out metrics a promotion compares."""
    from cogaze.config import available_presets
    from readingroom.learning.scoring import SCORING_METHODS
    from readingroom.learning.strategies import STRATEGIES
    from readingroom.modeling.registry import PROMOTION_METRICS

    return {
        "scoring": sorted(SCORING_METHODS),
        "strategies": sorted(STRATEGIES),
        "configs": available_presets(),
        "metrics": list(PROMOTION_METRICS),
    }


def rows_csv(rows: list[dict], columns: list[str]) -> str:
    """``rows`` as CSV with a header; nested values (lists, dicts) as JSON-ish text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) for c in columns})
    return out.getvalue()

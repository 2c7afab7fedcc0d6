"""Reads of a reader study, gathered from the database into the plain rows that :mod:`.tables` and
:mod:`.exports` use (one dict per submitted read, with its fixations and gaze measures)."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import Min

from gaze_capture.metrics import ROI
from readingroom.core.exceptions import NotFound
from readingroom.core.files import media_path
from readingroom.gaze.models import Fixation, TrackerCheck
from readingroom.modeling.models import Prediction
from readingroom.reading.models import ReadingProject, ReadingSession, ViewEvent
from readingroom.reading.study_selectors import study_get
from readingroom.studies.derivatives import image_thumbnail_png
from readingroom.studies.models import Image

from .measures import ReadGaze, gaze_measures
from .regions import attention_region, lung_fields


@dataclass
class StudyData:
    """A study's reads (dicts) and fixations (dicts), with the finding-region source of each read."""

    project: ReadingProject
    reads: list[dict]
    fixations: list[dict]


def _truth_by_case(project: ReadingProject) -> tuple[dict[int, dict], dict[int, list]]:
    """Reference labels and labelled regions per case, from the frozen dataset version's manifest."""
    truth: dict[int, dict] = {}
    regions: dict[int, list] = {}
    items = (project.dataset_version.manifest or {}).get("items", []) if project.dataset_version else []
    for item in items:
        truth.setdefault(item["study_id"], dict(item.get("labels") or {}))
        regions.setdefault(item["study_id"], list(item.get("regions") or []))
    return truth, regions


def _attention(prediction: Prediction | None) -> np.ndarray | None:
    if prediction is None or not prediction.attention_file:
        return None
    path = media_path(prediction.attention_file.removesuffix(".png") + ".npy")
    if not path.exists():
        return None
    return np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)


def _regions(labelled: list, attention: np.ndarray | None, shape: tuple[int, int]) -> tuple[list[ROI], str]:
    """Finding regions: the labels' boxes where the dataset has them, else the model's attention map."""
    if labelled:
        return [ROI(str(r["name"]), box=tuple(float(v) for v in r["box"])) for r in labelled], "labels"
    if attention is not None:
        return [attention_region(attention, shape)], "model_attention"
    return [], "none"


def _thumbnail_path(image: Image | None) -> str:
    """The image's thumbnail PNG (encoded on first use) for the figures' backgrounds; "" when unavailable."""
    if image is None:
        return ""
    try:
        return str(image_thumbnail_png(image))
    except (OSError, NotFound):
        return ""


def _tracker(checks: list[TrackerCheck]) -> dict:
    """Accuracy (deg) and data loss (%) of the session's latest validation, else its latest calibration."""
    ordered = sorted(checks, key=lambda c: (c.kind == "validation", c.created_at, c.id))
    check = ordered[-1] if ordered else None
    if check is None:
        return {"calibration_kind": "", "calibration_accuracy_deg": None, "data_loss_pct": None}
    return {"calibration_kind": check.kind, "calibration_accuracy_deg": check.accuracy_deg,
            "data_loss_pct": check.data_loss_pct}  # fmt: skip


@dataclass
class _Related:
    """What the reads need besides their sessions, loaded in a few queries for all of them at once."""

    predictions: dict[int, Prediction]
    fixations: dict[int, list[Fixation]]
    first_view: dict[int, float]
    checks: dict[int, list[TrackerCheck]]
    images: dict[int, Image]
    first_image_of_study: dict[int, Image]

    @classmethod
    def load(cls, sessions: list[ReadingSession]) -> _Related:
        ids = [s.pk for s in sessions]
        predictions = {p.session_id: p for p in Prediction.objects.filter(session_id__in=ids,
                                                                         status=Prediction.Status.DONE)}  # fmt: skip
        fixations: dict[int, list[Fixation]] = defaultdict(list)
        for f in Fixation.objects.filter(session_id__in=ids).order_by("session_id", "index"):
            fixations[f.session_id].append(f)
        first_view = dict(ViewEvent.objects.filter(session_id__in=ids).values("session_id").annotate(t=Min("t_ms"))
                          .values_list("session_id", "t"))  # fmt: skip
        checks: dict[int, list[TrackerCheck]] = defaultdict(list)
        for c in TrackerCheck.objects.filter(session_id__in=ids, kind__in=["validation", "calibration"]):
            checks[c.session_id].append(c)
        image_ids = {p.image_id for p in predictions.values()} | {
            f.image_id for fs in fixations.values() for f in fs
        }
        images = Image.objects.in_bulk([i for i in image_ids if i is not None])
        first: dict[int, Image] = {}
        for image in Image.objects.filter(study_id__in={s.assignment.study_id for s in sessions}).order_by(
            "-id"
        ):
            first[image.study_id] = image
        return cls(predictions, fixations, first_view, checks, images, first)


def study_data(*, project_id: int) -> StudyData:
    """Every submitted read of a reader study with its labels, the model's output, the reference standard
    and its gaze measures (the latest submitted session of each assignment)."""
    project = study_get(project_id=project_id)
    truth, labelled = _truth_by_case(project)
    sessions, seen = [], set()
    for s in (
        ReadingSession.objects.filter(assignment__project=project, status=ReadingSession.Status.SUBMITTED)
        .select_related("assignment__arm", "reader", "report")
        .order_by("assignment_id", "-submitted_at", "-id")
    ):
        if s.assignment_id not in seen and hasattr(s, "report"):
            seen.add(s.assignment_id)
            sessions.append(s)
    related = _Related.load(sessions)
    reads, fixations = [], []
    for s in sessions:
        read, fx = _read(project, s, truth, labelled, related)
        reads.append(read)
        fixations.extend(fx)
    reads.sort(key=lambda r: (r["arm_position"], r["reader"], r["case"]))
    return StudyData(project=project, reads=reads, fixations=fixations)


def _read(
    project, s: ReadingSession, truth: dict, labelled: dict, related: _Related
) -> tuple[dict, list[dict]]:
    a = s.assignment
    prediction = related.predictions.get(s.pk)
    rows = related.fixations.get(s.pk, [])
    image_id = (prediction.image_id if prediction else None) or next(
        (f.image_id for f in rows if f.image_id), None
    )
    image = related.images.get(image_id) if image_id else related.first_image_of_study.get(a.study_id)
    shape = (image.rows, image.columns) if image is not None else (1, 1)
    attention = _attention(prediction)
    regions, source = _regions(labelled.get(a.study_id, []), attention, shape)
    first_view = related.first_view.get(s.pk)
    arr = np.array([[f.onset_ms, f.duration_ms, np.nan if f.x_image is None else f.x_image,
                     np.nan if f.y_image is None else f.y_image] for f in rows], dtype=float).reshape(-1, 4)  # fmt: skip
    gaze = gaze_measures(
        ReadGaze(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], shape, regions, t0_ms=first_view)
    )
    reading_time = (s.submitted_at - s.started_at).total_seconds() if s.submitted_at else math.nan
    region_rows = gaze.pop("regions")
    finding = next(iter(region_rows.values()), None)
    read = {
        "read_id": s.pk, "study_id": project.pk, "reader": s.reader.username, "arm": a.arm.name if a.arm else "",
        "arm_mode": a.arm.mode if a.arm else "", "arm_position": a.arm.position if a.arm else 0, "case": a.study_id,
        "image_id": image.pk if image else None,
        "thumbnail_path": _thumbnail_path(image), "image_rows": shape[0], "image_columns": shape[1],
        "started_at": s.started_at.isoformat(), "submitted_at": s.submitted_at.isoformat() if s.submitted_at else "",
        "reading_time_s": reading_time, **gaze, **_tracker(related.checks.get(s.pk, [])), "region_source": source,
        "finding_region": next(iter(region_rows), ""),
        "finding_ttff_ms": finding["time_to_first_fixation_ms"] if finding else math.nan,
        "finding_dwell_ms": finding["dwell_ms"] if finding else math.nan,
        "finding_fixation_count": finding["fixation_count"] if finding else 0,
        "regions": region_rows, "labels": dict(s.report.labels), "truth": truth.get(a.study_id) or {},
        "model": dict(prediction.probabilities) if prediction and prediction.probabilities else None,
    }  # fmt: skip
    inside = {r.name: r.contains(arr[:, 2], arr[:, 3]) for r in regions}
    in_lungs = lung_fields(shape).contains(arr[:, 2], arr[:, 3])
    fx = [{"read_id": s.pk, "index": f.index, "onset_ms": f.onset_ms, "offset_ms": f.offset_ms,
           "duration_ms": f.duration_ms, "x_screen": f.x_screen, "y_screen": f.y_screen, "x_image": f.x_image,
           "y_image": f.y_image, "in_finding_region": bool(any(m[k] for m in inside.values())),
           "in_lung_fields": bool(in_lungs[k])} for k, f in enumerate(rows)]  # fmt: skip
    return read, fx

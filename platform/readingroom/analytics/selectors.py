"""Reads of a reader study, gathered from the database into the plain rows that :mod:`.tables` and
:mod:`.exports` use (one dict per submitted read, with its fixations and gaze measures)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from gaze_capture.metrics import ROI
from readingroom.core.files import media_path
from readingroom.gaze.models import Fixation, TrackerCheck
from readingroom.modeling.models import Prediction
from readingroom.reading.models import ReadingProject, ReadingSession, ViewEvent
from readingroom.reading.study_selectors import study_get

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


def _tracker(session: ReadingSession) -> dict:
    """Accuracy (deg) and data loss (%) of the session's latest validation, else its latest calibration."""
    checks = TrackerCheck.objects.filter(session=session, kind__in=["validation", "calibration"])
    check = (
        checks.filter(kind="validation").order_by("-created_at", "-id").first()
        or checks.order_by("-created_at", "-id").first()
    )
    if check is None:
        return {"calibration_kind": "", "calibration_accuracy_deg": None, "data_loss_pct": None}
    return {"calibration_kind": check.kind, "calibration_accuracy_deg": check.accuracy_deg,
            "data_loss_pct": check.data_loss_pct}  # fmt: skip


def study_data(*, project_id: int) -> StudyData:
    """Every submitted read of a reader study with its labels, the model's output, the reference standard
    and its gaze measures (the latest submitted session of each assignment)."""
    project = study_get(project_id=project_id)
    truth, labelled = _truth_by_case(project)
    sessions = (
        ReadingSession.objects.filter(assignment__project=project, status=ReadingSession.Status.SUBMITTED)
        .select_related("assignment__arm", "assignment__study", "reader", "report")
        .order_by("assignment_id", "-submitted_at", "-id")
    )
    reads, fixations, seen = [], [], set()
    for s in sessions:
        if s.assignment_id in seen or not hasattr(s, "report"):
            continue
        seen.add(s.assignment_id)
        read, fx = _read(project, s, truth, labelled)
        reads.append(read)
        fixations.extend(fx)
    reads.sort(key=lambda r: (r["arm_position"], r["reader"], r["case"]))
    return StudyData(project=project, reads=reads, fixations=fixations)


def _read(project, s: ReadingSession, truth: dict, labelled: dict) -> tuple[dict, list[dict]]:
    a = s.assignment
    prediction = (
        Prediction.objects.filter(session=s, status=Prediction.Status.DONE).select_related("image").first()
    )
    rows = list(Fixation.objects.filter(session=s).select_related("image").order_by("index"))
    image = (prediction.image if prediction and prediction.image else None) or next(
        (f.image for f in rows if f.image is not None), None
    ) or a.study.images.order_by("id").first()  # fmt: skip
    shape = (image.rows, image.columns) if image is not None else (1, 1)
    attention = _attention(prediction)
    regions, source = _regions(labelled.get(a.study_id, []), attention, shape)
    first_view = ViewEvent.objects.filter(session=s).order_by("t_ms").values_list("t_ms", flat=True).first()
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
        "image_id": image.pk if image else None, "image_rows": shape[0], "image_columns": shape[1],
        "started_at": s.started_at.isoformat(), "submitted_at": s.submitted_at.isoformat() if s.submitted_at else "",
        "reading_time_s": reading_time, **gaze, **_tracker(s), "region_source": source,
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

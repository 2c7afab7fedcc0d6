"""Folder layouts of public chest X-ray data sets that an import job can read, registered by name.

A layout turns a source folder into :class:`~readingroom.studies.ingest.IngestItem` s, one per image, whose
metadata may carry a report (``report_text``) and labels (``labels``: CheXpert observation -> state). Other
apps attach those after each import through :data:`IMPORTED_HOOKS` (the curation app stores reports and
labels), so this module knows nothing of them.

- ``mimic-cxr-jpg``: ``mimic-cxr-2.0.0-metadata.csv`` (``dicom_id``, ``subject_id``, ``study_id``,
  ``ViewPosition``), images ``files/p<first 2 digits>/p<subject_id>/s<study_id>/<dicom_id>.jpg``, reports
  ``files/p../p<subject_id>/s<study_id>.txt``, optional labels ``mimic-cxr-2.0.0-chexpert.csv``
  (``subject_id``, ``study_id``, one column per observation: 1.0, 0.0, -1.0 or empty). Each image keeps
  ``mimic:<dicom_id>`` as its ``dataset_image_id``, which REFLACX and EGD-CXR gaze files are matched by.
- ``iu-xray``: ``indiana_projections.csv`` (``uid``, ``filename``, ``projection``) and
  ``indiana_reports.csv`` (``uid``, ``indication``, ``comparison``, ``findings``, ``impression``), images in
  ``images/images_normalized/``, ``images/`` or the folder itself.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

LABEL_STATES = {"1.0": "present", "1": "present", "0.0": "absent", "0": "absent", "-1.0": "uncertain",
                "-1": "uncertain", "": "not_mentioned"}  # fmt: skip


@dataclass(frozen=True)
class IngestItem:
    """One image file to import (``path``), or a source that failed before any file (``error``)."""

    key: str
    path: Path | None
    metadata: dict = field(default_factory=dict)
    error: str = ""


LAYOUTS: dict[str, Callable[[Path], Iterator[IngestItem]]] = {}
# Called after each item is imported (or found imported before): hook(item=..., image=...).
IMPORTED_HOOKS: list[Callable] = []


def register_layout(name: str):
    def decorate(func: Callable[[Path], Iterator[IngestItem]]):
        LAYOUTS[name] = func
        return func

    return decorate


def _rows(path: Path, required: tuple[str, ...]) -> tuple[list[dict], str]:
    """The rows of a CSV, or an error naming the file and its missing columns."""
    if not path.is_file():
        return [], f"{path}: not found"
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = sorted(set(required) - set(reader.fieldnames or []))
            if missing:
                return [], f"{path}: missing column(s) {', '.join(missing)}"
            return list(reader), ""
    except UnicodeDecodeError as exc:
        return [], f"{path}: not UTF-8 text (offset {exc.start}); save it as UTF-8"
    except csv.Error as exc:
        return [], f"{path}: malformed CSV ({exc})"


@register_layout("mimic-cxr-jpg")
def mimic_cxr_jpg_items(root: Path) -> Iterator[IngestItem]:
    meta, error = _rows(root / "mimic-cxr-2.0.0-metadata.csv", ("dicom_id", "subject_id", "study_id"))
    if error:
        yield IngestItem(key=str(root), path=None, error=error)
        return
    labels: dict[tuple[str, str], dict[str, str]] = {}
    chexpert = root / "mimic-cxr-2.0.0-chexpert.csv"
    if chexpert.is_file():
        rows, error = _rows(chexpert, ("subject_id", "study_id"))
        if error:
            yield IngestItem(key=str(chexpert), path=None, error=error)
        for row in rows:
            labels[(row["subject_id"], row["study_id"])] = {
                k: LABEL_STATES.get(v.strip(), "not_mentioned") for k, v in row.items()
                if k not in ("subject_id", "study_id")
            }  # fmt: skip
    for row in meta:
        subject, study = row["subject_id"], row["study_id"]
        folder = root / "files" / f"p{subject[:2]}" / f"p{subject}"
        image = folder / f"s{study}" / f"{row['dicom_id']}.jpg"
        report = folder / f"s{study}.txt"
        metadata = {"patient_id": f"mimic:{subject}", "study_id": study, "view_position": row.get("ViewPosition", ""),
                    "modality": "CR", "report_text": report.read_text() if report.is_file() else "",
                    "dataset_image_id": f"mimic:{row['dicom_id']}"}  # fmt: skip
        if (subject, study) in labels:
            metadata["labels"] = labels[(subject, study)]
        yield IngestItem(key=str(image), path=image, metadata=metadata)


@register_layout("iu-xray")
def iu_xray_items(root: Path) -> Iterator[IngestItem]:
    projections, error = _rows(root / "indiana_projections.csv", ("uid", "filename", "projection"))
    if error:
        yield IngestItem(key=str(root), path=None, error=error)
        return
    reports, error = _rows(root / "indiana_reports.csv", ("uid", "findings", "impression"))
    if error:
        yield IngestItem(key=str(root / "indiana_reports.csv"), path=None, error=error)
    by_uid = {r["uid"]: r for r in reports}
    folders = [root / "images" / "images_normalized", root / "images", root]
    for row in projections:
        name = Path(row["filename"]).name
        image = next((f / name for f in folders if (f / name).is_file()), folders[0] / name)
        report = by_uid.get(row["uid"], {})
        text = "\n".join(f"{head.upper()}: {report[head]}" for head in ("indication", "findings", "impression")
                         if (report.get(head) or "").strip())  # fmt: skip
        view = {"frontal": "FRONTAL", "lateral": "LATERAL"}.get(row["projection"].strip().lower(), "")
        metadata = {"patient_id": f"iu:{row['uid']}", "study_id": row["uid"], "view_position": view,
                    "modality": "CR", "report_text": text}  # fmt: skip
        yield IngestItem(key=str(image), path=image, metadata=metadata)

"""Reader for a MIMIC-CXR-JPG-style folder with a CoGaze annotation JSON.

Images are found at ``files/p<first 2 digits>/p<subject_id>/s<study_id>/<dicom_id>.jpg`` under ``root`` (the
MIMIC-CXR-JPG layout) unless an entry names its ``image_path``. The annotation JSON is an object with one
list of entries per split (``train``, ``val`` / ``validate``, ``test``); each entry holds:

- ``id`` or ``dicom_id``; ``subject_id``; ``study_id``; optional ``image_path`` (relative to ``root``);
- ``view_position`` (or ``ViewPosition``); ``indication`` and ``history`` (either may be empty);
- ``findings`` (or ``report``);
- ``labels``: CheXpert name -> 1 / 0 / -1 / null; when absent, labels are looked up by (subject, study) in
  ``mimic-cxr-2.0.0-chexpert.csv[.gz]`` under ``root`` when that file exists;
- optional ``transcript``: list of ``{"sentence": str, "heatmap": path to a float32 (H, W) .npy}``.

The annotation JSON released with the CoGaze paper is another layout (``anchor_scan``, ``indication_pure``,
``disease_labels``, ``sentence_gaze_heatmap``): this reader refuses its entries by name instead of reading
them with empty context, a default view, no labels and no gaze; read them with
:class:`cogaze.data.reference.ReferenceAnnotationDataset`.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from cogaze.data.export import context_text
from cogaze.data.sample import Sample, load_image_file, load_json_file
from cogaze.errors import DataError
from cogaze.labels import NUM_OBSERVATIONS, OBSERVATIONS, LabelState, states_from_dict

_SPLIT_ALIASES = {"validate": "val", "valid": "val", "validation": "val"}
_REFERENCE_FIELDS = (
    "anchor_scan",
    "indication_pure",
    "history_pure",
    "disease_labels",
    "sentence_gaze_heatmap",
)


def _chexpert_csv(root: Path) -> dict[tuple[str, str], np.ndarray]:
    for name in ("mimic-cxr-2.0.0-chexpert.csv", "mimic-cxr-2.0.0-chexpert.csv.gz"):
        path = root / name
        if path.is_file():
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", newline="") as fh:
                out = {}
                for row in csv.DictReader(fh):
                    labels = {
                        k: (float(row[k]) if row.get(k) not in (None, "") else None) for k in OBSERVATIONS
                    }
                    out[(str(row["subject_id"]), str(row["study_id"]))] = states_from_dict(labels, where=name)
                return out
    return {}


class MimicCogazeDataset:
    """One split of a MIMIC-CXR-JPG folder described by a CoGaze annotation JSON."""

    def __init__(self, root: str | Path, annotation: str | Path, split: str = "train") -> None:
        self.root = Path(root)
        ann_path = Path(annotation)
        data = load_json_file(ann_path, "annotation")
        splits = {_SPLIT_ALIASES.get(k, k): v for k, v in data.items()}
        if split not in splits:
            raise DataError(f"annotation: split {split!r} not in {ann_path} (has {sorted(splits)})")
        self.split = split
        self.entries = list(splits[split])
        csv_labels = None
        rows = []
        for i, e in enumerate(self.entries):
            theirs = [k for k in _REFERENCE_FIELDS if k in e]
            if theirs:
                raise DataError(
                    f"annotation: {split}[{i}]: field(s) {theirs} belong to the CoGaze paper's annotation "
                    "layout; read it with --data reference:IMAGES_ROOT:ANNOTATION.json[:GAZE_ROOT]"
                )
            for key in ("subject_id", "study_id"):
                if key not in e:
                    raise DataError(f"annotation: {split}[{i}]: missing field {key!r}")
            if "labels" in e:
                rows.append(states_from_dict(e["labels"], where=f"{split}[{i}].labels"))
            else:
                csv_labels = _chexpert_csv(self.root) if csv_labels is None else csv_labels
                key = (str(e["subject_id"]).lstrip("p"), str(e["study_id"]).lstrip("s"))
                rows.append(csv_labels.get(key, np.full(NUM_OBSERVATIONS, LabelState.NOT_MENTIONED, np.int8)))
        self._labels = np.stack(rows) if rows else np.zeros((0, NUM_OBSERVATIONS), np.int8)

    def __len__(self) -> int:
        return len(self.entries)

    def label_states(self) -> np.ndarray:
        return self._labels

    def image_path(self, entry: dict) -> Path:
        """Where an entry's JPEG lies."""
        if entry.get("image_path"):
            rel = entry["image_path"][0] if isinstance(entry["image_path"], list) else entry["image_path"]
            return self.root / rel
        subject = str(entry["subject_id"]).lstrip("p")
        study = str(entry["study_id"]).lstrip("s")
        dicom = entry.get("dicom_id") or entry.get("id")
        if not dicom:
            raise DataError(f"annotation: study {study}: missing field 'dicom_id' (or 'id' / 'image_path')")
        return self.root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom}.jpg"

    def __getitem__(self, index: int) -> Sample:
        e = self.entries[index]
        study = str(e["study_id"])
        image = load_image_file(self.image_path(e))
        sentences, maps = [], []
        for j, t in enumerate(e.get("transcript") or []):
            sentences.append(t.get("sentence") or t.get("text") or "")
            if t.get("heatmap"):
                h = np.load(self.root / t["heatmap"]).astype(np.float32)
                if h.shape != image.shape:
                    raise DataError(
                        f"heatmaps: study {study} transcript[{j}]: shape {h.shape} "
                        f"does not match image {image.shape}"
                    )
            else:
                h = np.zeros(image.shape, np.float32)
            maps.append(h)
        return Sample(
            study_id=study,
            image=image,
            view_position=str(e.get("view_position") or e.get("ViewPosition") or "PA"),
            context=context_text(
                {"indication": e.get("indication") or "", "history": e.get("history") or ""}
            ),
            findings=str(e.get("findings") or e.get("report") or ""),
            labels=self._labels[index],
            sentences=sentences,
            heatmaps=np.stack(maps) if maps else None,
            image_id=str(e.get("dicom_id") or e.get("id") or ""),
            split=self.split,
        )

"""Reader for the annotation JSON released with the CoGaze paper (MIMIC-CXR-JPG with REFLACX/EGD-CXR gaze).

Layout implemented (taken from the fields the authors' data loaders read; their JSON itself is not public
in a form we could check, so every field is validated and anything else is refused by name):

``{"train": [entry, ...], "val": [...], "test": [...]}``, each entry an object with

- ``id`` (the DICOM id), ``subject_id``, ``study_id``;
- ``anchor_scan``: ``{"image_path": [path, ...], "view_position": [view, ...]}``; the first image is the
  one read (path relative to the MIMIC-CXR-JPG root, e.g. ``files/p10/p10000032/s50414267/<id>.jpg``);
- ``findings``; ``indication_pure`` and ``history_pure`` (cleaned indication and history, may be "");
- ``disease_labels``: 14 integers in CheXbert's coding (0 blank, 1 positive, 2 negative, 3 uncertain) and
  CheXbert's condition order (:data:`REFERENCE_LABEL_ORDER`; the coding 0-3 is CheXbert's output coding,
  which is why we take its order too);
- ``sentence_gaze_heatmap``: ``null`` or ``{"image_dir": folder under the gaze root,
  "transcript_full_text": str}``; the folder holds ``sentence-heatmap-lookup.json`` (``{key: sentence}``
  plus ``"full_text"``), ``<key>_heatmap.jpg`` per sentence and ``report_heatmap.jpg`` for the whole
  transcript. Heatmap JPEGs are rendered maps: they are read as luminance, the background (the most
  common value on the image's outer 10 % border) is set to 0, and the rest normalised to sum 1;
- optional fields that are read and not used: :data:`IGNORED_FIELDS`.

An entry whose ``findings_factual_serialization`` is present and empty is skipped, as the authors' loaders
skip it (no clinical findings); :attr:`ReferenceAnnotationDataset.skipped` counts them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cogaze.data.export import context_text
from cogaze.data.sample import Sample, load_image_file, load_json_file
from cogaze.errors import DataError
from cogaze.labels import NUM_OBSERVATIONS, OBSERVATION_INDEX, OBSERVATIONS, LabelState

# CheXbert's condition order: CheXpert's with "No Finding" moved last
REFERENCE_LABEL_ORDER: tuple[str, ...] = (*OBSERVATIONS[1:], OBSERVATIONS[0])
# CheXbert coding -> label state
_CODES = {0: LabelState.NOT_MENTIONED, 1: LabelState.PRESENT, 2: LabelState.ABSENT, 3: LabelState.UNCERTAIN}
REQUIRED_FIELDS = (
    "id",
    "subject_id",
    "study_id",
    "anchor_scan",
    "findings",
    "indication_pure",
    "history_pure",
    "disease_labels",
    "sentence_gaze_heatmap",
)
IGNORED_FIELDS = frozenset(
    {
        "findings_factual_serialization",
        "impression",
        "indication",
        "history",
        "comparison",
        "report",
        "auxiliary_references",
        "prior_study",
        "core_findings",
        "split",
    }
)
_SPLITS = ("train", "val", "test")


def _gaze_map(path: Path, where: str) -> np.ndarray:
    """A rendered heatmap JPEG -> float32 (h, w) summing to 1 (background 0); zeros when nothing is left."""
    if not path.is_file():
        raise DataError(f"{where}: heatmap file not found: {path}")
    lum = load_image_file(path)
    h, w = lum.shape
    mh, mw = max(1, int(h * 0.1)), max(1, int(w * 0.1))
    border = np.concatenate([lum[:mh].ravel(), lum[-mh:].ravel(), lum[:, :mw].ravel(), lum[:, -mw:].ravel()])
    values, counts = np.unique(border, return_counts=True)
    background = values[int(counts.argmax())]
    out = np.where(lum > background, lum, 0.0).astype(np.float32)
    total = float(out.sum())
    return out / total if total > 0 else out


class ReferenceAnnotationDataset:
    """One split of MIMIC-CXR-JPG described by the reference annotation JSON (layout in the module doc).

    Parameters
    ----------
    images_root : path
        The MIMIC-CXR-JPG folder that ``anchor_scan.image_path`` is relative to.
    annotation : path
        The annotation JSON.
    gaze_root : path, optional
        The folder that ``sentence_gaze_heatmap.image_dir`` is relative to; required when an entry of the
        split has gaze.
    split : str
        ``train``, ``val`` or ``test``.
    """

    def __init__(
        self,
        images_root: str | Path,
        annotation: str | Path,
        *,
        gaze_root: str | Path | None = None,
        split: str = "train",
    ) -> None:
        self.images_root = Path(images_root)
        self.gaze_root = Path(gaze_root) if gaze_root else None
        ann = Path(annotation)
        data = load_json_file(ann, "annotation")
        if not isinstance(data, dict):
            raise DataError(f"annotation: {ann}: expected an object of splits {_SPLITS}")
        unknown = sorted(set(data) - set(_SPLITS))
        if unknown:
            raise DataError(f"annotation: {ann}: unknown split(s) {unknown}; expected {list(_SPLITS)}")
        if split not in data:
            raise DataError(f"annotation: split {split!r} not in {ann} (has {sorted(data)})")
        self.split = split
        self.entries: list[dict] = []
        self.skipped = 0
        for i, entry in enumerate(data[split]):
            where = f"annotation: {split}[{i}]"
            self._check(entry, where)
            if "findings_factual_serialization" in entry and not entry["findings_factual_serialization"]:
                self.skipped += 1
                continue
            self.entries.append({**entry, "_where": where})
        self._labels = (
            np.stack([self._states(e) for e in self.entries])
            if self.entries
            else np.zeros((0, NUM_OBSERVATIONS), np.int8)
        )

    def _check(self, entry, where: str) -> None:
        if not isinstance(entry, dict):
            raise DataError(f"{where}: expected an object, got {type(entry).__name__}")
        missing = [k for k in REQUIRED_FIELDS if k not in entry]
        if missing:
            raise DataError(f"{where} (id {entry.get('id')!r}): missing field(s) {missing}")
        unknown = sorted(set(entry) - set(REQUIRED_FIELDS) - IGNORED_FIELDS)
        if unknown:
            raise DataError(f"{where} (id {entry['id']!r}): unknown field(s) {unknown}")
        scan = entry["anchor_scan"]
        if not isinstance(scan, dict) or set(scan) != {"image_path", "view_position"}:
            got = sorted(scan) if isinstance(scan, dict) else type(scan).__name__
            raise DataError(
                f"{where}.anchor_scan: expected fields ['image_path', 'view_position'], got {got}"
            )
        for key in ("image_path", "view_position"):
            if not isinstance(scan[key], list) or not scan[key]:
                raise DataError(f"{where}.anchor_scan.{key}: expected a non-empty list")
        labels = entry["disease_labels"]
        if not isinstance(labels, list) or len(labels) != NUM_OBSERVATIONS or not set(labels) <= set(_CODES):
            raise DataError(f"{where}.disease_labels: expected 14 codes in 0..3 (CheXbert), got {labels!r}")
        gaze = entry["sentence_gaze_heatmap"]
        if gaze is not None:
            if not isinstance(gaze, dict) or set(gaze) != {"image_dir", "transcript_full_text"}:
                got = sorted(gaze) if isinstance(gaze, dict) else type(gaze).__name__
                raise DataError(
                    f"{where}.sentence_gaze_heatmap: expected null or fields "
                    f"['image_dir', 'transcript_full_text'], got {got}"
                )
            if self.gaze_root is None:
                raise DataError(
                    f"{where}.sentence_gaze_heatmap: the entry has gaze but no gaze root was given"
                )

    @staticmethod
    def _states(entry: dict) -> np.ndarray:
        states = np.full(NUM_OBSERVATIONS, LabelState.NOT_MENTIONED, np.int8)
        for name, code in zip(REFERENCE_LABEL_ORDER, entry["disease_labels"], strict=True):
            states[OBSERVATION_INDEX[name]] = _CODES[code]
        return states

    def __len__(self) -> int:
        return len(self.entries)

    def label_states(self) -> np.ndarray:
        return self._labels

    def _gaze(self, entry: dict) -> tuple[list[str], np.ndarray | None]:
        """Sentences then the whole transcript, with their heatmaps (S + 1, h, w)."""
        gaze = entry["sentence_gaze_heatmap"]
        if gaze is None:
            return [], None
        where = f"{entry['_where']}.sentence_gaze_heatmap"
        folder = self.gaze_root / gaze["image_dir"]
        lookup_path = folder / "sentence-heatmap-lookup.json"
        lookup = load_json_file(lookup_path, where)
        sentences, maps = [], []
        for key, text in lookup.items():
            if key == "full_text":
                continue
            sentences.append(str(text))
            maps.append(_gaze_map(folder / f"{key}_heatmap.jpg", f"{where} sentence {key!r}"))
        sentences.append(str(gaze["transcript_full_text"]))
        maps.append(_gaze_map(folder / "report_heatmap.jpg", f"{where} report"))
        shapes = {m.shape for m in maps}
        if len(shapes) > 1:
            raise DataError(f"{where}: heatmaps of different shapes {sorted(shapes)}")
        return sentences, np.stack(maps)

    def __getitem__(self, index: int) -> Sample:
        e = self.entries[index]
        scan = e["anchor_scan"]
        sentences, heatmaps = self._gaze(e)
        return Sample(
            study_id=str(e["study_id"]),
            image=load_image_file(self.images_root / scan["image_path"][0]),
            view_position=str(scan["view_position"][0] or "UNKNOWN"),
            context=context_text(
                {"indication": e["indication_pure"] or "", "history": e["history_pure"] or ""}
            ),
            findings=str(e["findings"]),
            labels=self._labels[index],
            sentences=sentences,
            heatmaps=heatmaps,
            image_id=str(e["id"]),
            split=self.split,
        )

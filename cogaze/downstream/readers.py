"""Readers of the downstream data sets, as their own files lay them out.

- NIH ChestX-ray14: ``Data_Entry_2017.csv`` (``Image Index``, ``Finding Labels`` with ``|`` between
  findings or ``No Finding``, ``Patient ID``, ``View Position``, ...) and the images folder; optionally the
  official ``test_list.txt`` (one image name a line). 14 labels, multi-label.
- RSNA Pneumonia Detection: ``stage_2_train_labels.csv`` (``patientId,x,y,width,height,Target``; one row per
  box, an empty box where ``Target`` is 0) and the images ``<patientId>.dcm`` (or ``.png``). Binary label;
  the boxes become the segmentation mask.
- SIIM-ACR Pneumothorax: ``train-rle.csv`` (``ImageId``, ``EncodedPixels``; ``-1`` for no pneumothorax,
  several rows for several regions) and ``<ImageId>.dcm`` (or ``.png``). The masks are run-length encoded on
  the column-major pixel order as pairs (gap since the end of the previous run, run length). Binary label
  (any mask) and the mask for segmentation.
- The Hannover COVID-19 radiographs (a smoke-test set): ``data.csv`` and ``png/<image_id>.png``; the label
  is ICU admission (``icu_admission_offset`` given).

Every reader gives a :class:`DownstreamSet`; a missing column or file is a :class:`DataError` naming it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cogaze.data.sample import load_image_file
from cogaze.errors import DataError

NIH_LABELS: tuple[str, ...] = (
    "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia", "Pneumothorax",
    "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia",
)  # fmt: skip


@dataclass
class DownstreamItem:
    """One image: its file, patient (for patient-level splits), labels (C,) in {0, 1}, optional mask maker."""

    image_id: str
    path: Path
    patient_id: str
    labels: np.ndarray
    view_position: str = "PA"
    split: str = ""  # "test" where the data set fixes its test images, else "" (split by patient)
    mask: Callable[[tuple[int, int]], np.ndarray] | None = None  # image shape -> bool (H, W)
    pixels: np.ndarray | None = None  # an image held in memory (SYNTHETIC phantoms) instead of a file

    def image(self) -> np.ndarray:
        return self.pixels if self.pixels is not None else load_any_image(self.path)


@dataclass
class DownstreamSet:
    name: str
    class_names: tuple[str, ...]
    items: list[DownstreamItem] = field(default_factory=list)
    metric: str = "auroc"  # the paper's metric for it: "auroc" (NIH) or "f1" (RSNA, SIIM)

    @property
    def has_masks(self) -> bool:
        return any(i.mask is not None for i in self.items)


def load_any_image(path: Path) -> np.ndarray:
    """PNG/JPEG/.npy through :func:`load_image_file`; DICOM through pydicom, scaled to [0, 1]."""
    if path.suffix.lower() != ".dcm":
        return load_image_file(path)
    if not path.is_file():
        raise DataError(f"image: file not found: {path}")
    try:
        import pydicom
    except ImportError as exc:  # pragma: no cover - pydicom is installed with the platform
        raise DataError(f"image: {path} is DICOM; install pydicom to read it") from exc
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float32)
    arr = (arr - arr.min()) / max(float(arr.max() - arr.min()), 1e-6)
    return 1.0 - arr if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1" else arr


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataError(f"csv: file not found: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        names = [n.strip() for n in reader.fieldnames or []]
        missing = [c for c in required if c not in names]
        if missing:
            raise DataError(f"csv: {path.name}: missing column(s) {missing} (has {names})")
        return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _image_file(folder: Path, stem: str) -> Path:
    for suffix in (".dcm", ".png", ".jpg"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    raise DataError(f"image: no {stem}.dcm/.png/.jpg in {folder}")


def read_nih(csv_path: str | Path, images: str | Path, test_list: str | Path | None = None) -> DownstreamSet:
    """NIH ChestX-ray14 (see the module doc)."""
    rows = _rows(Path(csv_path), ("Image Index", "Finding Labels", "Patient ID"))
    test = set(Path(test_list).read_text().split()) if test_list else set()
    out = DownstreamSet("nih", NIH_LABELS, metric="auroc")
    for i, row in enumerate(rows):
        found = {f for f in row["Finding Labels"].split("|") if f and f != "No Finding"}
        unknown = sorted(found - set(NIH_LABELS))
        if unknown:
            raise DataError(f"csv: {Path(csv_path).name} row {i + 2}: unknown finding(s) {unknown}")
        labels = np.array([name in found for name in NIH_LABELS], np.float32)
        name = row["Image Index"]
        out.items.append(DownstreamItem(name, Path(images) / name, row["Patient ID"], labels,
                                        row.get("View Position") or "PA", "test" if name in test else ""))  # fmt: skip
    return out


def boxes_mask(boxes: list[tuple[float, float, float, float]]) -> Callable[[tuple[int, int]], np.ndarray]:
    """A mask maker from boxes (x, y, width, height) in image pixels."""

    def make(shape: tuple[int, int]) -> np.ndarray:
        mask = np.zeros(shape, bool)
        for x, y, w, h in boxes:
            mask[int(y) : int(np.ceil(y + h)), int(x) : int(np.ceil(x + w))] = True
        return mask

    return make


def read_rsna(csv_path: str | Path, images: str | Path) -> DownstreamSet:
    """RSNA Pneumonia Detection (see the module doc); the patient is the image."""
    rows = _rows(Path(csv_path), ("patientId", "x", "y", "width", "height", "Target"))
    boxes: dict[str, list] = defaultdict(list)
    target: dict[str, int] = {}
    for row in rows:
        pid = row["patientId"]
        target[pid] = max(target.get(pid, 0), int(row["Target"]))
        if row["Target"] == "1":
            boxes[pid].append(tuple(float(row[k]) for k in ("x", "y", "width", "height")))
    out = DownstreamSet("rsna", ("Pneumonia",), metric="f1")
    for pid, t in target.items():
        out.items.append(DownstreamItem(pid, _image_file(Path(images), pid), pid, np.array([t], np.float32),
                                        mask=boxes_mask(boxes[pid])))  # fmt: skip
    return out


def rle_decode(rle: str, shape: tuple[int, int]) -> np.ndarray:
    """SIIM-ACR run-length code -> bool mask (H, W): (gap, length) pairs over the column-major pixel order.

    Pixels 1-2 (column 0, rows 1-2), then after a gap of 3, pixel 6 (column 2, row 0):

    >>> rle_decode("1 2 3 1", (3, 3)).astype(int).tolist()
    [[0, 0, 1], [1, 0, 0], [1, 0, 0]]
    """
    flat = np.zeros(shape[0] * shape[1], bool)
    values = [int(v) for v in rle.split()]
    if len(values) % 2:
        raise DataError(f"EncodedPixels: an odd number of values ({len(values)})")
    pos = 0
    for gap, length in zip(values[0::2], values[1::2], strict=True):
        pos += gap
        flat[pos : pos + length] = True
        pos += length
    return flat.reshape(shape[1], shape[0]).T


def read_siim(csv_path: str | Path, images: str | Path) -> DownstreamSet:
    """SIIM-ACR Pneumothorax (see the module doc); the patient is the image."""
    rows = _rows(Path(csv_path), ("ImageId", "EncodedPixels"))
    codes: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        codes[row["ImageId"]] += [] if row["EncodedPixels"] == "-1" else [row["EncodedPixels"]]
    out = DownstreamSet("siim", ("Pneumothorax",), metric="f1")
    for image_id, rles in codes.items():

        def make(shape, rles=rles):
            mask = np.zeros(shape, bool)
            for rle in rles:
                mask |= rle_decode(rle, shape)
            return mask

        out.items.append(DownstreamItem(image_id, _image_file(Path(images), image_id), image_id,
                                        np.array([float(bool(rles))], np.float32), mask=make))  # fmt: skip
    return out


def phantom_set(n: int, *, size: int = 64, seed: int = 0, finding: str = "effusion") -> DownstreamSet:
    """SYNTHETIC phantoms as a downstream set: ``finding`` present or not, its mask for segmentation."""
    from cogaze.data.phantoms import FINDINGS, make_phantom

    if finding not in FINDINGS:
        raise DataError(f"finding: expected one of {FINDINGS}, got {finding!r}")
    out = DownstreamSet(f"phantoms-{finding} (SYNTHETIC)", (finding,), metric="f1")
    for k in range(n):
        s = make_phantom(k, size=size, seed=seed, prevalence=0.5)
        m = (s.masks or {}).get(finding)
        out.items.append(DownstreamItem(f"phantom{k}", Path(f"phantom{k}"), f"phantom{k}",
                                        np.array([float(m is not None and m.any())], np.float32),
                                        mask=(lambda shape, m=m: np.zeros(shape, bool) if m is None else m),
                                        pixels=s.image))  # fmt: skip
    return out


def read_hannover(folder: str | Path) -> DownstreamSet:
    """The Hannover COVID-19 radiographs: ICU admission as the label (a smoke-test set, no masks)."""
    folder = Path(folder)
    rows = _rows(folder / "data.csv", ("patient_id", "image_id", "projection", "icu_admission_offset"))
    out = DownstreamSet("hannover", ("ICU admission",), metric="auroc")
    for row in rows:
        label = np.array([float(row["icu_admission_offset"] != "")], np.float32)
        out.items.append(DownstreamItem(row["image_id"], folder / "png" / f"{row['image_id']}.png",
                                        row["patient_id"], label, row["projection"].upper()))  # fmt: skip
    return out

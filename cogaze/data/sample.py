"""One study as the model sees it, the dataset protocol every reader implements, and sample validation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from cogaze.errors import DataError
from cogaze.labels import NUM_OBSERVATIONS, LabelState


@dataclass
class Sample:
    """One image of one study with its report, labels and per-sentence gaze.

    ``heatmaps[i]`` is the gaze prior of ``sentences[i]`` on this image; a row of zeros means the sentence has
    no gaze. The maps cover the whole image at its own resolution or at a reduced one (the platform exports
    128 x 128); the collator pools either onto the patch grid. Phantoms also carry their ground-truth finding ``masks`` and ``synthetic=True``.
    """

    study_id: str
    image: np.ndarray  # (H, W) float32 in [0, 1]
    view_position: str  # DICOM ViewPosition: PA, AP, LATERAL, LL, ...
    context: str  # "[INDICATION] ... [HISTORY] ..." or "" when there is none
    findings: str  # report findings text
    labels: np.ndarray  # (14,) int8 label states, see cogaze.labels.LabelState
    sentences: list[str] = field(default_factory=list)  # transcript sentences with gaze
    heatmaps: np.ndarray | None = None  # (S, h, w) float32 over the whole image, rows sum to 1 (or 0)
    image_id: str = ""
    split: str = "train"
    masks: dict[str, np.ndarray] | None = None  # phantoms: finding name -> (H, W) bool
    synthetic: bool = False

    @property
    def has_gaze(self) -> bool:
        return self.heatmaps is not None and bool(
            (self.heatmaps.reshape(len(self.heatmaps), -1).sum(1) > 0).any()
        )

    def validate(self, *, require_findings: bool = True) -> Sample:
        """Check every field; raise :class:`DataError` naming the field and the study. Returns self."""
        where = f"study {self.study_id!r}"
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 2:
            shape = getattr(img, "shape", None)
            raise DataError(f"image: {where}: expected a 2-D grayscale array (H, W), got shape {shape}")
        if img.shape[0] < 8 or img.shape[1] < 8:
            raise DataError(f"image: {where}: image of shape {img.shape} is too small")
        if not np.isfinite(img).all() or img.min() < 0.0 or img.max() > 1.0:
            raise DataError(f"image: {where}: values must be finite and in [0, 1]")
        if not isinstance(self.context, str):
            raise DataError(
                f"context: {where}: expected a string ('' for no context), got {type(self.context)}"
            )
        if not isinstance(self.findings, str) or (require_findings and not self.findings.strip()):
            raise DataError(f"findings: {where}: empty findings text")
        labels = np.asarray(self.labels)
        if labels.shape != (NUM_OBSERVATIONS,):
            raise DataError(f"labels: {where}: expected shape ({NUM_OBSERVATIONS},), got {labels.shape}")
        if not np.isin(labels, [s.value for s in LabelState]).all():
            raise DataError(f"labels: {where}: states must be 1, 0, -1 or -2")
        if self.heatmaps is not None:
            h = self.heatmaps
            if h.ndim != 3 or min(h.shape[1:], default=0) < 1:
                raise DataError(f"heatmaps: {where}: expected shape (S, H, W), got {h.shape}")
            if h.shape[0] != len(self.sentences):
                raise DataError(
                    f"heatmaps: {where}: {h.shape[0]} heatmaps for {len(self.sentences)} sentences"
                )
            if not np.isfinite(h).all() or (h < 0).any():
                raise DataError(f"heatmaps: {where}: values must be finite and non-negative")
        return self


@runtime_checkable
class CogazeDataset(Protocol):
    """What every data reader provides: indexable samples and their labels without loading images."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Sample: ...

    def label_states(self) -> np.ndarray:
        """(len, 14) int8 label states of all samples (for class-balanced weights)."""
        ...


class ListDataset:
    """A dataset over samples held in memory."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        return self.samples[index]

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def label_states(self) -> np.ndarray:
        if not self.samples:
            return np.zeros((0, NUM_OBSERVATIONS), np.int8)
        return np.stack([np.asarray(s.labels, np.int8) for s in self.samples])

    def split(self, name: str) -> ListDataset:
        """The samples of one split."""
        return ListDataset([s for s in self.samples if s.split == name])


def load_json_file(path, what: str):
    """The parsed JSON of ``path``; a :class:`DataError` that starts with ``what`` when missing or invalid."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what}: file not found: {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{what}: invalid JSON in {path}: {exc}") from exc


def load_image_file(path) -> np.ndarray:
    """Read a PNG/JPEG (8 or 16 bit) or .npy file as float32 (H, W) in [0, 1]."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise DataError(f"image: file not found: {path}")
    if path.suffix.lower() == ".npy":
        arr = np.load(path).astype(np.float32)
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        return arr
    from PIL import Image

    try:
        with Image.open(path) as im:
            if im.mode in ("I;16", "I;16B", "I"):
                arr = np.asarray(im, dtype=np.float32)
                peak = 65535.0 if arr.max() > 255 else 255.0
                return np.clip(arr / peak, 0.0, 1.0)
            return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except OSError as exc:
        raise DataError(f"image: cannot read {path}: {exc}") from exc

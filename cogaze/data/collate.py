"""Collation: resize images to the model input, pool heatmaps onto the patch grid, build a :class:`Batch`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from cogaze.batch import Batch
from cogaze.config import CogazeConfig
from cogaze.errors import DataError
from cogaze.labels import binary_targets
from cogaze.vision import view_index


def resize_image(image: np.ndarray, size: int) -> torch.Tensor:
    """(H, W) float array -> (1, size, size) tensor, area-resampled (whole image, no crop)."""
    t = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    if t.shape[-2:] != (size, size):
        t = F.interpolate(t, size=(size, size), mode="area" if image.shape[0] >= size else "bilinear")
    return t[0].clamp_(0.0, 1.0)


def pool_heatmap(heatmap: np.ndarray, grid: int) -> np.ndarray:
    """(H, W) prior -> (grid * grid,) float32 patch masses summing to 1 (zeros for an empty map).

    Uses :func:`gaze_capture.pool_prior` (exact area-weighted pooling, whole image resized to the input).
    """
    if not float(heatmap.sum()) > 0:
        return np.zeros(grid * grid, np.float32)
    from gaze_capture import pool_prior

    return pool_prior(heatmap, (grid, grid)).reshape(-1).astype(np.float32)


class Collator:
    """Callable for ``DataLoader(collate_fn=...)``: list of (index, Sample) or Samples -> :class:`Batch`."""

    def __init__(self, config: CogazeConfig, *, validate: bool = True) -> None:
        self.config = config
        self.validate = validate

    def __call__(self, items: Sequence) -> Batch:
        if not items:
            raise DataError("batch: empty list of samples")
        pairs = [it if isinstance(it, tuple) else (i, it) for i, it in enumerate(items)]
        samples = [s for _, s in pairs]
        size, grid = self.config.vision.image_size, self.config.vision.grid
        if self.validate:
            for s in samples:
                s.validate()
        max_s = max([len(s.sentences) if s.heatmaps is not None else 0 for s in samples] + [1])
        heat = torch.zeros(len(samples), max_s, grid * grid)
        smask = torch.zeros(len(samples), max_s, dtype=torch.bool)
        sentences: list[list[str]] = []
        for b, s in enumerate(samples):
            if s.heatmaps is None:
                sentences.append([])
                continue
            sentences.append(list(s.sentences))
            for j, h in enumerate(s.heatmaps):
                heat[b, j] = torch.from_numpy(pool_heatmap(h, grid))
                smask[b, j] = True
        labels = np.stack([np.asarray(s.labels, np.int8) for s in samples])
        return Batch(
            study_ids=[s.study_id for s in samples],
            images=torch.stack([resize_image(s.image, size) for s in samples]),
            view_ids=torch.tensor([view_index(s.view_position) for s in samples], dtype=torch.long),
            contexts=[s.context for s in samples],
            findings=[s.findings for s in samples],
            labels=torch.from_numpy(labels),
            targets=torch.from_numpy(binary_targets(labels)),
            sentences=sentences,
            heatmaps=heat,
            sentence_mask=smask,
            indices=torch.tensor([i for i, _ in pairs], dtype=torch.long),
        )


class IndexedDataset(torch.utils.data.Dataset):
    """Wraps a dataset so items come with their index (the feature-cache key)."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        return index, self.dataset[index]

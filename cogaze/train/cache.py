"""Cache of frozen-backbone features, keyed by dataset index, in float16 on the CPU or on disk.

Valid because the frozen backbone is deterministic and training applies no image augmentation: each image's
backbone output is computed once (first epoch) and reused. The cache is one preallocated float16 array of
``(n_images, tokens, width)`` for the images this process trains on (under DDP each rank keeps a fixed shard,
so each rank caches only its own images):

- ``store="cpu"``: host memory, pinned when training on CUDA (fast, asynchronous copies to the GPU);
- ``store="disk"``: a ``numpy.memmap`` file in the run folder (``feature_cache.f16``), for data sets larger
  than memory; the operating system's page cache keeps what fits.

Its size is computed before anything is allocated, and a cache larger than ``fraction`` of the free memory
(or disk) is refused with both numbers. At the paper's size an image takes (1 + 37 x 37) x 768 x 2 bytes =
2.1 MB, so the MIMIC-CXR training split (about 370,000 images) would need about 780 GB.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from cogaze.batch import Batch
from cogaze.errors import ConfigError


def available_memory_bytes() -> int:
    """Memory the system can give without swapping (Linux ``MemAvailable``; else physical free pages)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def available_disk_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def cache_bytes(n_images: int, tokens: int, width: int) -> int:
    """Bytes of a float16 cache of ``n_images`` x ``tokens`` x ``width``."""
    return n_images * tokens * width * 2


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


class FeatureCache:
    """Backbone features (tokens, width) of the dataset indices ``keys``, filled lazily."""

    def __init__(
        self,
        keys: Sequence[int],
        tokens: int,
        width: int,
        *,
        store: str = "cpu",
        folder: str | Path | None = None,
        pin: bool = False,
        fraction: float = 0.8,
    ) -> None:
        self.slot = {int(k): i for i, k in enumerate(keys)}
        self.nbytes = cache_bytes(len(self.slot), tokens, width)
        shape = (len(self.slot), tokens, width)
        if store == "disk":
            if folder is None:
                raise ConfigError("config.train.cache_store: 'disk' needs a run folder for the cache file")
            folder = Path(folder)
            free = available_disk_bytes(folder)
            where = f"free disk in {folder}"
        else:
            free = available_memory_bytes()
            where = "available memory"
        if self.nbytes > fraction * free:
            raise ConfigError(
                f"config.train.cache_features: the feature cache needs {_gb(self.nbytes)} ({shape[0]} images x "
                f"{tokens} tokens x {width} x 2 bytes) but {where} is {_gb(free)} (limit "
                f"{fraction:.0%} of it); use train.cache_store = 'disk', fewer images, or cache_features = false"
            )
        if store == "disk":
            self.path = folder / "feature_cache.f16"
            array = np.memmap(self.path, dtype=np.float16, mode="w+", shape=shape)
            self.data = torch.from_numpy(array)
        else:
            self.path = None
            self.data = torch.empty(shape, dtype=torch.float16, pin_memory=pin)
        self.filled = torch.zeros(len(self.slot), dtype=torch.bool)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return int(self.filled.sum())

    def fill(self, batch: Batch, vision) -> Batch:
        """Attach cached features to ``batch``, computing and storing the missing ones with ``vision``."""
        slots = torch.tensor([self.slot[k] for k in batch.indices.tolist()], dtype=torch.long)
        missing = (~self.filled[slots]).nonzero().squeeze(1)
        self.hits += len(slots) - len(missing)
        self.misses += len(missing)
        if len(missing):
            with torch.no_grad():
                feats = vision.backbone_features(batch.images[missing.to(batch.images.device)])
            self.data[slots[missing]] = feats.to("cpu", torch.float16)
            self.filled[slots[missing]] = True
        target = batch.images.device
        batch.features = self.data[slots].to(target, non_blocking=True).float()
        return batch

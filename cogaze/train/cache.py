"""In-memory cache of frozen-backbone features, keyed by dataset index.

Valid because the frozen backbone is deterministic and training applies no image augmentation: each image's
backbone output is computed once (first epoch) and reused. Stored on the CPU in bfloat16 to halve memory.
"""

from __future__ import annotations

import torch

from cogaze.batch import Batch


class FeatureCache:
    """Dataset index -> backbone features (1 + N, Dv)."""

    def __init__(self, dtype: torch.dtype = torch.bfloat16, device: str | torch.device = "cpu") -> None:
        self.dtype, self.device = dtype, torch.device(device)
        self.store: dict[int, torch.Tensor] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self.store)

    def fill(self, batch: Batch, vision) -> Batch:
        """Attach cached features to ``batch``, computing and storing the missing ones with ``vision``."""
        keys = batch.indices.tolist()
        missing = [i for i, k in enumerate(keys) if k not in self.store]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            with torch.no_grad():
                feats = vision.backbone_features(batch.images[missing])
            for j, i in enumerate(missing):
                self.store[keys[i]] = feats[j].to(self.device, self.dtype)
        target = batch.images.device
        batch.features = torch.stack([self.store[k] for k in keys]).to(target, torch.float32)
        return batch

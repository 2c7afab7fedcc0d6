"""The tensor batch that data collation produces and the model consumes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch


@dataclass
class Batch:
    """A collated batch of B studies (S = most sentences in the batch, N = patches of the vision grid)."""

    study_ids: list[str]
    images: torch.Tensor  # (B, 1, image_size, image_size) float32 in [0, 1]
    view_ids: torch.Tensor  # (B,) long, index into config.VIEW_POSITIONS
    contexts: list[str]  # "" means no clinical context
    findings: list[str]
    labels: torch.Tensor  # (B, 14) int8 label states (1 present, 0 absent, -1 uncertain, -2 not mentioned)
    targets: torch.Tensor  # (B, 14) float32, present or uncertain -> 1
    sentences: list[list[str]]  # per study, the sentences that have heatmaps
    heatmaps: torch.Tensor  # (B, S, N) float32, each valid row sums to 1 (zeros where no gaze)
    sentence_mask: torch.Tensor  # (B, S) bool, True where a sentence exists
    indices: torch.Tensor  # (B,) long, dataset indices (keys of the feature cache)
    features: torch.Tensor | None = None  # (B, 1 + N, Dv) cached frozen-backbone features

    @property
    def has_gaze(self) -> torch.Tensor:
        """(B,) bool: studies with at least one non-empty sentence heatmap."""
        return (self.heatmaps.sum(-1) > 0).any(-1)

    def to(self, device: torch.device | str) -> Batch:
        """Copy with every tensor on ``device``."""
        moved = {
            k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v)
            for k, v in self.__dict__.items()
        }
        return replace(self, **moved)

    def __len__(self) -> int:
        return len(self.study_ids)

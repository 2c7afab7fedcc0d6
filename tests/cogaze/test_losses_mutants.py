"""Properties of the losses that mutation testing found unchecked (tests/README.md, "Mutation testing")."""

from __future__ import annotations

import pytest
import torch

from cogaze.losses import ContrastiveLoss, GazeLoss


def test_the_gaze_loss_uses_cosine_similarity_per_patch_feature():
    """Scaling each patch's feature vector by its own positive factor changes no cosine, so no loss value
    (normalising across patches instead of across the feature dimension would change it)."""
    torch.manual_seed(0)
    sentences, patches = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    heatmaps = torch.rand(2, 3, 5)
    mask = torch.ones(2, 3, dtype=torch.bool)
    loss = GazeLoss()
    scaled = patches * torch.tensor([0.5, 2.0, 3.0, 0.1, 7.0])[None, :, None]
    before, after = loss(sentences, patches, heatmaps, mask), loss(sentences, scaled, heatmaps, mask)
    for name in ("gaze_t2i", "gaze_i2t", "gaze_loss"):
        assert after[name].item() == pytest.approx(before[name].item(), rel=1e-5)


def test_both_temperatures_start_at_one_over_0_07():
    for module in (GazeLoss(), ContrastiveLoss()):
        assert module.logit_scale.exp().item() == pytest.approx(1.0 / 0.07, rel=1e-6)

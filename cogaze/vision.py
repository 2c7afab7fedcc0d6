"""Vision encoder: ViT backbone -> + view-position embedding -> RMSNorm -> MLP projector (DESIGN.md §5).

The backbone is a transformers ``ViTModel`` (trainable from scratch) or ``Dinov2Model`` (the RAD-DINO
architecture, usually frozen); neither needs torchvision. Frozen-backbone outputs can be computed once and
passed back in as ``features`` (the training feature cache).
"""

from __future__ import annotations

import torch
from torch import nn

from cogaze.config import VIEW_POSITIONS, CogazeConfig
from cogaze.errors import ConfigError, InputError


def view_index(view_position: str) -> int:
    """Index of a DICOM ViewPosition in :data:`cogaze.config.VIEW_POSITIONS` (unknown -> OTHER)."""
    v = (view_position or "").strip().upper()
    return VIEW_POSITIONS.index(v) if v in VIEW_POSITIONS else VIEW_POSITIONS.index("OTHER")


def build_backbone(config: CogazeConfig, architecture: dict | None = None) -> nn.Module:
    """The ViT backbone named by ``config.vision``.

    Weights: from the local snapshot folder ``vision.pretrained`` (see :mod:`cogaze.weights`), else random. A
    frozen backbone with random weights learns nothing and is refused unless ``vision.allow_random_frozen``
    says it is meant (tests, speed benchmarks). ``architecture`` (a backbone config dict kept in a
    checkpoint) builds the same network without reading any weights: the checkpoint's own replace them.
    """
    from transformers import Dinov2Config, Dinov2Model, ViTConfig, ViTModel

    v = config.vision
    if architecture is not None:
        if v.kind == "dinov2":
            return Dinov2Model(Dinov2Config.from_dict(architecture))
        return ViTModel(ViTConfig.from_dict(architecture), add_pooling_layer=False)
    if v.pretrained:
        from cogaze.weights import snapshot_folder

        folder = snapshot_folder(v.pretrained, "config.vision.pretrained")
        if v.kind == "dinov2":
            return Dinov2Model.from_pretrained(folder, local_files_only=True)
        return ViTModel.from_pretrained(folder, add_pooling_layer=False, local_files_only=True)
    if v.frozen and not v.allow_random_frozen:
        raise ConfigError(
            f"config.vision: preset {config.name!r} freezes a backbone with random weights (vision.pretrained "
            "is null), which would learn nothing; set vision.pretrained to a local RAD-DINO snapshot folder "
            "(see cogaze/README.md), or vision.allow_random_frozen = true for tests and speed benchmarks"
        )
    if v.kind == "dinov2":
        return Dinov2Model(
            Dinov2Config(
                image_size=v.image_size,
                patch_size=v.patch_size,
                num_channels=v.in_channels,
                hidden_size=v.hidden_size,
                num_hidden_layers=v.num_layers,
                num_attention_heads=v.num_heads,
                mlp_ratio=v.intermediate_size // v.hidden_size,
            )
        )
    return ViTModel(
        ViTConfig(
            image_size=v.image_size,
            patch_size=v.patch_size,
            num_channels=v.in_channels,
            hidden_size=v.hidden_size,
            num_hidden_layers=v.num_layers,
            num_attention_heads=v.num_heads,
            intermediate_size=v.intermediate_size,
        ),
        add_pooling_layer=False,
    )


class VisionEncoder(nn.Module):
    """Images (B, 1, H, W) in [0, 1] and view ids (B,) -> patch features (B, 1 + N, dim), CLS first."""

    def __init__(self, config: CogazeConfig, architecture: dict | None = None) -> None:
        super().__init__()
        self.config = config
        v = config.vision
        self.backbone = build_backbone(config, architecture)
        if v.frozen:
            self.backbone.requires_grad_(False)
        self.view_embedding = nn.Embedding(len(VIEW_POSITIONS), v.hidden_size)
        nn.init.normal_(self.view_embedding.weight, std=0.02)
        self.norm = nn.RMSNorm(v.hidden_size)
        self.projector = nn.Sequential(
            nn.Linear(v.hidden_size, 2 * v.hidden_size), nn.GELU(), nn.Linear(2 * v.hidden_size, config.dim)
        )

    def check_images(self, images: torch.Tensor) -> None:
        """Raise :class:`InputError` naming ``images`` unless the shape is (B, 1, S, S), S = image_size."""
        s = self.config.vision.image_size
        if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != s or images.shape[3] != s:
            raise InputError(
                f"images: expected shape (B, 1, {s}, {s}) (grayscale, resized to vision.image_size), "
                f"got {tuple(images.shape)}"
            )

    def backbone_features(self, images: torch.Tensor) -> torch.Tensor:
        """Backbone tokens (B, 1 + N, hidden_size); no gradient when the backbone is frozen."""
        self.check_images(images)
        v = self.config.vision
        x = (images - v.pixel_mean) / v.pixel_std
        if v.in_channels == 3:
            x = x.expand(-1, 3, -1, -1)
        if v.frozen:
            with torch.no_grad():
                return self.backbone(pixel_values=x).last_hidden_state  # (B, 1 + N, Dv)
        return self.backbone(pixel_values=x).last_hidden_state

    def forward(
        self,
        images: torch.Tensor | None,
        view_ids: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Patch features (B, 1 + N, dim); pass cached ``features`` (B, 1 + N, Dv) to skip the backbone."""
        if features is None:
            if images is None:
                raise InputError("images: neither images nor cached backbone features were given")
            features = self.backbone_features(images)
        x = features + self.view_embedding(view_ids)[:, None, :]  # (B, 1 + N, Dv)
        return self.projector(self.norm(x))  # (B, 1 + N, dim)

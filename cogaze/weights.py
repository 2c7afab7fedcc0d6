"""Pretrained weights from local snapshot folders, never from a hub; and what a checkpoint keeps to rebuild a
model without them.

Snapshot folders (what ``huggingface-cli download <repo> --local-dir DIR`` leaves, or a copy of it):

- RAD-DINO (``vision.kind = "dinov2"``, ``vision.pretrained = DIR``): ``DIR/config.json`` (a Dinov2 config)
  and ``DIR/model.safetensors`` (or ``pytorch_model.bin``); ``preprocessor_config.json`` is not read (the
  normalisation is ``vision.pixel_mean`` / ``pixel_std``).
- CXR-BERT / CXR-BERT-specialized (``text.encoder = text.tokenizer = DIR``): ``DIR/config.json``
  (``model_type`` ``"cxr-bert"``, ``projection_size``), ``DIR/model.safetensors`` or ``pytorch_model.bin``
  (keys ``bert.*``, ``cls.predictions.*``, ``cls_projection_head.*``) and ``DIR/vocab.txt`` (with
  ``tokenizer_config.json``). Its custom modelling code is never run (no ``trust_remote_code``): the BERT
  encoder is a plain ``BertModel`` loaded from the ``bert.*`` weights, and the [CLS] projection head is
  re-implemented here (:class:`CxrBertProjectionHead`) from the published architecture.
- Any other BERT-style encoder or ViT backbone: a folder ``from_pretrained`` can read, opened with
  ``local_files_only=True``.

A name that is not an existing folder (a hub name such as ``microsoft/rad-dino``) is refused with the layout
above: downloads happen outside training, on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from cogaze.errors import ConfigError

LAYOUT_HINT = (
    "a local snapshot folder holding config.json and model.safetensors (or pytorch_model.bin); "
    "download it once, e.g. `huggingface-cli download microsoft/rad-dino --local-dir weights/rad-dino`"
)


def snapshot_folder(name: str, field: str) -> Path:
    """``name`` as an existing snapshot folder with a ``config.json``, or a :class:`ConfigError` on ``field``."""
    path = Path(name)
    if not path.is_dir():
        raise ConfigError(f"{field}: {name!r} is not a folder; weights are read only from {LAYOUT_HINT}")
    if not (path / "config.json").is_file():
        raise ConfigError(f"{field}: {path} has no config.json; expected {LAYOUT_HINT}")
    return path


def folder_config(path: Path) -> dict:
    return json.loads((path / "config.json").read_text())


def folder_state_dict(path: Path, field: str) -> dict[str, torch.Tensor]:
    """The weights of a snapshot folder (``model.safetensors`` or ``pytorch_model.bin``)."""
    if (path / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return load_file(str(path / "model.safetensors"))
    if (path / "pytorch_model.bin").is_file():
        return torch.load(path / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise ConfigError(f"{field}: {path} has neither model.safetensors nor pytorch_model.bin")


def is_cxr_bert(path: Path) -> bool:
    cfg = folder_config(path)
    return cfg.get("model_type") == "cxr-bert" or "CXRBertModel" in (cfg.get("architectures") or [])


class CxrBertProjectionHead(nn.Module):
    """CXR-BERT's [CLS] projection: Linear(hidden -> p), GELU, LayerNorm(p), Linear(p -> p); (B, hidden) -> (B, p).

    Parameter names follow the published checkpoints (``dense_to_hidden``, ``LayerNorm``, ``dense_to_output``)
    so that ``cls_projection_head.*`` weights load as they are.
    """

    def __init__(self, hidden_size: int, projection_size: int) -> None:
        super().__init__()
        self.dense_to_hidden = nn.Linear(hidden_size, projection_size)
        self.LayerNorm = nn.LayerNorm(projection_size, eps=1e-12)
        self.dense_to_output = nn.Linear(projection_size, projection_size)

    def forward(self, cls_hidden: torch.Tensor) -> torch.Tensor:
        x = nn.functional.gelu(self.dense_to_hidden(cls_hidden))
        return self.dense_to_output(self.LayerNorm(x))


def load_cxr_bert(path: Path, field: str = "text.encoder"):
    """A CXR-BERT snapshot as (``BertModel`` without pooler, :class:`CxrBertProjectionHead` or None)."""
    from transformers import BertConfig, BertModel

    cfg = {
        k: v for k, v in folder_config(path).items() if k not in ("auto_map", "architectures", "model_type")
    }
    projection = cfg.pop("projection_size", None)
    model = BertModel(BertConfig(**cfg), add_pooling_layer=False)
    weights = folder_state_dict(path, field)
    bert = {k[len("bert.") :]: v for k, v in weights.items() if k.startswith("bert.")}
    missing, unexpected = model.load_state_dict(bert, strict=False)
    missing = [k for k in missing if "position_ids" not in k]
    if missing or unexpected:
        raise ConfigError(
            f"{field}: {path} is not a CXR-BERT snapshot: missing weights {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    head = None
    head_weights = {
        k[len("cls_projection_head.") :]: v
        for k, v in weights.items()
        if k.startswith("cls_projection_head.")
    }
    if head_weights and projection:
        head = CxrBertProjectionHead(model.config.hidden_size, int(projection))
        head.load_state_dict(head_weights)
    return model, head


def tokenizer_record(tokenizer) -> dict | None:
    """What rebuilds a WordPiece tokenizer without its files: the vocabulary in id order, the casing and the
    added special tokens; None for other tokenizer types."""
    from transformers import BertTokenizer, BertTokenizerFast

    if not isinstance(tokenizer, (BertTokenizer, BertTokenizerFast)):
        return None
    by_id = {i: t for t, i in tokenizer.get_vocab().items()}
    n = tokenizer.vocab_size  # the WordPiece vocabulary; ids from n on are tokens added to it
    if sorted(by_id) != list(range(len(by_id))) or len(by_id) < n:
        return None
    base = [(i, by_id[i]) for i in range(n)]
    return {
        "vocab": [t for _, t in base],
        "added": [by_id[i] for i in range(n, len(by_id))],
        "do_lower_case": bool(
            getattr(tokenizer, "do_lower_case", tokenizer.init_kwargs.get("do_lower_case", True))
        ),
    }


def tokenizer_from_record(record: dict):
    """The tokenizer :func:`tokenizer_record` describes (same ids)."""
    from transformers import BertTokenizer

    tok = BertTokenizer(
        vocab={t: i for i, t in enumerate(record["vocab"])}, do_lower_case=record["do_lower_case"]
    )
    tok.add_special_tokens({"additional_special_tokens": list(record["added"])})
    return tok

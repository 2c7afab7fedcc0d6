"""Checkpoints: atomic save, load with a configuration check, and resume state."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from cogaze.config import CogazeConfig
from cogaze.errors import CheckpointError

CHECKPOINT_NAME = "checkpoint.pt"
_MODEL_SECTIONS = ("dim", "vision", "text", "perceiver", "decoder")


def config_differences(a: CogazeConfig, b: CogazeConfig) -> list[str]:
    """Dotted names of model-defining fields (not ``train``/``loss``) that differ between two configs."""
    da, db = a.to_dict(), b.to_dict()
    diffs = []
    for sec in _MODEL_SECTIONS:
        if isinstance(da[sec], dict):
            diffs += [f"{sec}.{k}" for k in da[sec] if da[sec][k] != db[sec].get(k)]
        elif da[sec] != db[sec]:
            diffs.append(sec)
    return diffs


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically (temporary file, then rename): a kill never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, *, expect: CogazeConfig | None = None) -> dict[str, Any]:
    """Read a checkpoint (a file, or a run folder with ``checkpoint.pt``); check its config is ``expect``.

    Raises
    ------
    CheckpointError
        Missing or unreadable file, no config inside, or model-defining fields that differ from ``expect``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"checkpoint: file not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"checkpoint: cannot read {path}: {exc}") from exc
    if not isinstance(state, dict) or "config" not in state or "model" not in state:
        raise CheckpointError(f"checkpoint: {path} is not a cogaze checkpoint (no 'config'/'model')")
    config = CogazeConfig.from_dict(state["config"])
    state["config_obj"] = config
    if expect is not None:
        diffs = config_differences(config, expect)
        if diffs:
            raise CheckpointError(
                f"checkpoint: {path} was written for config {config.name!r}, which differs from "
                f"{expect.name!r} in field(s) {diffs}"
            )
    return state

"""Tiny CoGaze checkpoints shared by the registry tests (trained once per session, on CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """A tiny model trained for two steps, and the same model with its image head negated.

    Negating the head reverses the ranking of every observation, so on any held-out set the two have head
    AUROCs ``x`` and ``1 - x``: one of them is strictly better, which the tests learn by evaluating.
    """
    import torch

    from cogaze import load_config
    from cogaze.data import open_dataset
    from cogaze.train import train

    root = tmp_path_factory.mktemp("tiny-checkpoints")
    config = load_config("tiny")
    result = train(
        config, open_dataset("phantoms:8", size=64), out_dir=root / "a", max_steps=2, progress=False
    )
    state = torch.load(result.checkpoint, map_location="cpu", weights_only=False)
    for key in ("image_head.weight", "image_head.bias"):
        state["model"][key] = -state["model"][key]
    flipped = root / "b" / "checkpoint.pt"
    flipped.parent.mkdir()
    torch.save(state, flipped)
    return {"trained": result.checkpoint, "flipped": flipped}

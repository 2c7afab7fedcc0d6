"""Shared fixtures for the cogaze tests: CPU only, tiny random configurations, no downloads."""

from __future__ import annotations

import os

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

from cogaze.batch import Batch  # noqa: E402
from cogaze.config import CogazeConfig, load_config  # noqa: E402

torch.set_num_threads(1)  # tiny models on 2 shared cores run fastest, and steadiest, single-threaded


@pytest.fixture(scope="session")
def tiny_config() -> CogazeConfig:
    return load_config("tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_config):
    from cogaze.model import CogazeModel

    torch.manual_seed(0)
    return CogazeModel(tiny_config).eval()


def make_batch(config: CogazeConfig, *, gaze: bool = True, seed: int = 0) -> Batch:
    """A hand-made batch of 4 studies (two images of study "a")."""
    g = torch.Generator().manual_seed(seed)
    b, n, s = 4, config.vision.grid**2, 2
    heat = torch.zeros(b, s, n)
    mask = torch.tensor([[True, True], [True, False], [True, True], [False, False]])
    if gaze:
        heat[0, 0, :8] = 1 / 8
        heat[0, 1, 20:30] = 1 / 10
        heat[1, 0, 40:44] = 1 / 4
        heat[2, 0, 10:20] = 1 / 10
        heat[2, 1, 50:60] = 1 / 10
    return Batch(
        study_ids=["a", "a", "b", "c"],
        images=torch.rand(b, 1, config.vision.image_size, config.vision.image_size, generator=g),
        view_ids=torch.tensor([0, 1, 0, 2]),
        contexts=["[INDICATION] dyspnea [HISTORY] heart failure", "", "cough", ""],
        findings=[
            "The heart is enlarged. Small left effusion.",
            "Cardiomegaly. Left pleural effusion.",
            "Right upper lobe nodule.",
            "Lungs are clear. No pneumothorax.",
        ],
        labels=torch.zeros(b, 14, dtype=torch.int8),
        targets=torch.randint(0, 2, (b, 14), generator=g).float(),
        sentences=[
            ["The heart is enlarged.", "Small left effusion."],
            ["Cardiomegaly."],
            ["Right upper lobe nodule.", "No effusion."],
            [],
        ],
        heatmaps=heat,
        sentence_mask=mask,
        indices=torch.arange(b),
    )

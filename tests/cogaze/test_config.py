"""Configuration presets and validation."""

from __future__ import annotations

import json

import pytest

from cogaze.config import CogazeConfig, available_presets, load_config
from cogaze.errors import CogazeError, ConfigError


def test_presets_load_with_the_documented_sizes():
    assert {"tiny", "base-offline", "paper"} <= set(available_presets())
    paper = load_config("paper")
    assert (paper.vision.image_size, paper.vision.patch_size, paper.vision.grid) == (518, 14, 37)
    assert paper.vision.frozen and paper.dim == 768
    assert (paper.perceiver.depth, paper.perceiver.num_latents, paper.perceiver.num_heads) == (3, 128, 8)
    assert paper.perceiver.head_dim == 64 and paper.text.num_layers == 6
    base = load_config("base-offline")
    assert base.text.encoder == "packaged-minilm" and base.dim == 384 and not base.vision.frozen
    tiny = load_config("tiny")
    assert tiny.vision.image_size == 64 and tiny.perceiver.depth == 1 and tiny.perceiver.num_latents == 8


def test_loss_constants_default_to_the_design():
    c = load_config("tiny").loss
    assert (c.cb_beta, c.gaze_topk_fraction, c.gaze_t2i_weight, c.gaze_i2t_weight) == (0.9999, 0.25, 0.2, 0.8)
    assert (c.image_cls_weight, c.text_cls_weight) == (0.5, 0.5)
    assert abs(c.temperature_init - 1 / 0.07) < 1e-9


def test_round_trip_and_replace():
    cfg = load_config("tiny")
    assert CogazeConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert cfg.replace(train={"lr": 0.5}).train.lr == 0.5


def test_unknown_preset_and_fields_are_named(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        load_config("huge")
    bad = load_config("tiny").to_dict()
    bad["vision"]["patch_sise"] = 3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CogazeError, match=r"config\.vision: unknown field\(s\) \['patch_sise'\]"):
        load_config(path)


def test_validate_names_the_field():
    with pytest.raises(ConfigError, match="vision.image_size"):
        load_config("tiny").replace(vision={"image_size": 65})
    with pytest.raises(ConfigError, match="gaze_topk_fraction"):
        load_config("tiny").replace(loss={"gaze_topk_fraction": 0.0})

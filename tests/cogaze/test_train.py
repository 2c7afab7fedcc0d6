"""Training: losses fall, checkpoints resume after a kill, the feature cache, NaN losses, config mismatch."""

from __future__ import annotations

import json

import pytest
import torch

from cogaze.data import PhantomDataset
from cogaze.errors import CheckpointError, NonFiniteLossError
from cogaze.train import load_checkpoint, train


@pytest.fixture(scope="module")
def phantoms():
    return PhantomDataset(24, size=64, seed=4)


def test_training_writes_metrics_and_losses_fall(tmp_path, tiny_config, phantoms):
    cfg = tiny_config.replace(train={"batch_size": 8, "checkpoint_every": 0})
    result = train(cfg, phantoms, out_dir=tmp_path, max_steps=24, progress=False)
    assert result.steps == 24 and (tmp_path / "checkpoint.pt").is_file()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 24 and {"loss", "contrastive_loss", "gaze_loss", "report_loss"} <= set(lines[0])
    first, last = result.first_last("loss")
    assert last < first


def test_resume_continues_exactly_where_it_stopped(tmp_path, tiny_config, phantoms):
    cfg = tiny_config.replace(train={"batch_size": 8, "grad_accum": 2, "checkpoint_every": 2})
    straight = train(cfg, phantoms, out_dir=tmp_path / "a", max_steps=4, progress=False)

    class Killed(Exception):
        pass

    def kill_at_3(record):
        if record["step"] == 3:
            raise Killed  # dies after the step-2 checkpoint, before the next one

    with pytest.raises(Killed):
        train(cfg, phantoms, out_dir=tmp_path / "b", max_steps=4, progress=False, on_log=kill_at_3)
    assert load_checkpoint(tmp_path / "b")["step"] == 2
    resumed = train(cfg, phantoms, out_dir=tmp_path / "b", max_steps=4, resume=True, progress=False)
    assert resumed.steps == 4 and len(resumed.history) == 2
    # same data order, RNG and optimizer state: the same numbers as an uninterrupted run
    assert resumed.history[-1]["loss"] == pytest.approx(straight.history[-1]["loss"], rel=1e-4)
    a = load_checkpoint(tmp_path / "a")["model"]
    b = load_checkpoint(tmp_path / "b")["model"]
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-5) for k in a)


def test_checkpoint_from_another_config_is_refused(tmp_path, tiny_config, phantoms):
    train(tiny_config, phantoms, out_dir=tmp_path, max_steps=1, progress=False)
    other = tiny_config.replace(dim=32, perceiver={"head_dim": 16})
    with pytest.raises(CheckpointError, match=r"differs .* field\(s\) \['dim'"):
        train(other, phantoms, out_dir=tmp_path, max_steps=2, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nothing.pt")


def test_frozen_backbone_feature_cache(tmp_path, tiny_config, phantoms):
    from cogaze.data import Collator
    from cogaze.model import CogazeModel
    from cogaze.train import FeatureCache

    cfg = tiny_config.replace(
        vision={"frozen": True, "allow_random_frozen": True}, train={"batch_size": 8, "cache_features": True}
    )
    result = train(cfg, phantoms, out_dir=tmp_path / "six", max_steps=6, progress=False)
    assert result.history[-1]["cache_size"] == len(phantoms)  # filled in the first epoch, then reused
    one = train(cfg, phantoms, out_dir=tmp_path / "one", max_steps=1, progress=False)
    assert one.steps == 1
    six_state = load_checkpoint(tmp_path / "six")["model"]
    one_state = load_checkpoint(tmp_path / "one")["model"]
    frozen_keys = [k for k in six_state if k.startswith("vision.backbone.")]
    assert frozen_keys and all(torch.equal(six_state[k], one_state[k]) for k in frozen_keys)
    assert not torch.equal(six_state["latents"], one_state["latents"])  # the rest did train
    # cached features equal the recomputed ones (to float16 precision), and the cache hits on reuse
    model = CogazeModel(cfg).eval()
    batch = Collator(cfg)([(i, phantoms[i]) for i in range(4)])
    v = cfg.vision
    for store in ("cpu", "disk"):
        cache = FeatureCache(range(len(phantoms)), 1 + v.grid**2, v.hidden_size, store=store, folder=tmp_path)
        assert cache.data.dtype == torch.float16 and cache.nbytes == len(phantoms) * 65 * 64 * 2
        cache.fill(batch, model.vision)
        direct = model.vision.backbone_features(batch.images)
        assert torch.allclose(batch.features, direct, atol=0.01, rtol=0.01)
        batch.features = None
        cache.fill(batch, model.vision)
        assert (cache.hits, cache.misses, len(cache)) == (4, 4, 4)
    assert (tmp_path / "feature_cache.f16").stat().st_size == len(phantoms) * 65 * 64 * 2


def test_a_cache_that_would_not_fit_is_refused_with_the_numbers(tmp_path, monkeypatch):
    from cogaze.errors import ConfigError
    from cogaze.train import cache as cache_module

    monkeypatch.setattr(cache_module, "available_memory_bytes", lambda: 1_000_000_000)
    monkeypatch.setattr(cache_module, "available_disk_bytes", lambda folder: 500_000_000)
    # the paper's size: 1 + 37 x 37 tokens x 768 x 2 bytes = 2.104 MB per image; 1000 images = 2.10 GB
    with pytest.raises(ConfigError, match=r"needs 2\.10 GB \(1000 images x 1370 tokens x 768 x 2 bytes\) but "
                       r"available memory is 1\.00 GB \(limit 80% of it\)"):  # fmt: skip
        cache_module.FeatureCache(range(1000), 1370, 768)
    with pytest.raises(ConfigError, match=r"free disk in .* is 0\.50 GB"):
        cache_module.FeatureCache(range(1000), 1370, 768, store="disk", folder=tmp_path)
    assert not (tmp_path / "feature_cache.f16").exists()  # refused before anything was written
    small = cache_module.FeatureCache(range(10), 1370, 768)  # 0.02 GB fits
    assert small.nbytes == 10 * 1370 * 768 * 2


def test_nan_loss_raises_naming_the_part(tmp_path, tiny_config, phantoms, monkeypatch):
    from cogaze import losses

    def nan_forward(self, image_embeds, text_embeds, study_ids):
        return {"contrastive_loss": image_embeds.sum() * float("nan")}

    monkeypatch.setattr(losses.ContrastiveLoss, "forward", nan_forward)
    with pytest.raises(NonFiniteLossError, match="contrastive_loss.*step 0"):
        train(tiny_config, phantoms, out_dir=tmp_path, max_steps=2, progress=False)


def test_accumulation_longer_than_an_epoch_still_steps(tmp_path, tiny_config):
    tiny = PhantomDataset(4, size=64, seed=8)
    cfg = tiny_config.replace(train={"batch_size": 8, "grad_accum": 3, "checkpoint_every": 0})
    result = train(cfg, tiny, out_dir=tmp_path, max_steps=2, progress=False)
    assert result.steps == 2 and result.epochs_done >= 5

"""The paper's two stages, validation with model selection, the plateau schedule, exact-resume state,
the refusal of a changed train section, and fixed DDP shards for the feature cache."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from cogaze.data import PhantomDataset
from cogaze.errors import CheckpointError, ConfigError, DataError
from cogaze.train import load_checkpoint, train
from cogaze.train.loop import _EpochSampler, _param_groups
from cogaze.train.select import Selection


@pytest.fixture(scope="module")
def splits():
    return PhantomDataset(16, size=64, seed=4), PhantomDataset(8, size=64, seed=9)


def test_pretrain_then_finetune_from_the_best_checkpoint(tmp_path, tiny_config, splits):
    train_set, val_set = splits
    pre = tiny_config.replace(train={"stage": "pretrain", "batch_size": 8, "checkpoint_every": 0})
    first = train(pre, train_set, out_dir=tmp_path / "pre", epochs=2, val_dataset=val_set, progress=False)
    # pretraining optimises the paper's L only: no decoder loss is computed
    assert all("report_loss" not in r for r in first.history)
    steps = [r for r in first.history if not r.get("validation")]
    assert all(r["loss"] == pytest.approx(r["representation_loss"]) for r in steps)
    vals = [r for r in first.history if r.get("validation")]
    assert len(vals) == 2 and all("val_loss" in r for r in vals)
    assert first.best == tmp_path / "pre" / "best.pt"
    assert first.best_value == pytest.approx(min(r["val_loss"] for r in vals))
    logged = [json.loads(x) for x in (tmp_path / "pre" / "metrics.jsonl").read_text().splitlines()]
    assert sum(1 for r in logged if r.get("validation")) == 2

    fine = tiny_config.replace(train={"stage": "finetune", "batch_size": 8, "checkpoint_every": 0,
                                      "select_metric": "val_bleu4", "val_generate": 2})  # fmt: skip
    second = train(fine, train_set, out_dir=tmp_path / "fine", epochs=1, val_dataset=val_set,
                   init_from=first.best, progress=False)  # fmt: skip
    step = second.history[0]
    assert step["loss"] == pytest.approx(step["report_loss"])  # the report decoder's loss alone
    assert "val_bleu4" in second.history[-1] and second.best is not None
    # it started from the pretrained weights: the image head gets no gradient when fine-tuning the decoder,
    # so it still holds the pretraining stage's best values
    started = load_checkpoint(first.best)["model"]
    finished = load_checkpoint(tmp_path / "fine")["model"]
    assert torch.equal(finished["image_head.weight"], started["image_head.weight"])
    assert not torch.equal(
        finished["decoder.lm.transformer.wpe.weight"], started["decoder.lm.transformer.wpe.weight"]
    )


def test_finetune_runs_the_decoder_at_ten_times_the_lr(tiny_config):
    from cogaze.model import CogazeModel

    model = CogazeModel(tiny_config.replace(train={"stage": "finetune"}))
    groups = _param_groups(model, 0.01)
    decoder = {id(p) for p in model.decoder.parameters()}
    for g in groups:
        in_decoder = {id(p) in decoder for p in g["params"]}
        assert len(in_decoder) == 1
        assert g["lr_mult"] == (10.0 if in_decoder.pop() else 1.0)
    joint = _param_groups(CogazeModel(tiny_config), 0.01)
    assert {g["lr_mult"] for g in joint} == {1.0}
    with pytest.raises(ConfigError, match="finetune.*report_weight"):
        tiny_config.replace(train={"stage": "finetune"}, loss={"report_weight": 0.0})


def test_plateau_lowers_the_lr_after_stalls_and_needs_a_validation_split(tiny_config, tmp_path, splits):
    cfg = tiny_config.replace(train={"schedule": "plateau", "plateau_patience": 1, "plateau_factor": 0.5})
    sel = Selection("val_loss")
    assert sel.update(2.0, cfg) and sel.lr_scale == 1.0
    assert not sel.update(2.5, cfg) and sel.lr_scale == 1.0  # one stall: within patience
    assert not sel.update(2.1, cfg) and sel.lr_scale == 0.5  # two stalls in a row: halved
    assert sel.update(1.0, cfg) and sel.best == 1.0
    higher = Selection("val_bleu4")
    assert higher.update(0.1, cfg) and not higher.update(0.05, cfg) and higher.update(0.2, cfg)
    with pytest.raises(DataError, match="plateau"):
        train(cfg, splits[0], out_dir=tmp_path, max_steps=1, progress=False)


def test_resume_state_is_written_and_restored_and_a_changed_train_section_refused(
    tmp_path, tiny_config, splits
):
    cfg = tiny_config.replace(train={"batch_size": 8, "checkpoint_every": 1})
    train(cfg, splits[0], out_dir=tmp_path, max_steps=1, progress=False)
    state = load_checkpoint(tmp_path)
    assert "data_order" in state and "selection" in state and len(state["rng"]) == 1  # one rank
    rng = state["rng"][0]
    for key in ("torch_rng", "cuda_rng", "python_rng", "numpy_rng"):
        assert key in rng
    assert sorted(state["data_order"]) == list(range(16))
    # restored on resume: the python and numpy generators continue from the saved states
    random.seed(123)
    np.random.seed(123)
    train(cfg, splits[0], out_dir=tmp_path, max_steps=1, resume=True, progress=False)  # nothing left to do
    expected = random.Random()
    expected.setstate(rng["python_rng"])
    assert random.random() == expected.random()
    assert np.random.get_state()[1][:5].tolist() == rng["numpy_rng"][1][:5].tolist()
    changed = cfg.replace(train={"lr": 0.5})
    with pytest.raises(CheckpointError, match=r"different train section \(field\(s\) \['lr'\]\)"):
        train(changed, splits[0], out_dir=tmp_path, max_steps=2, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="data order"):
        train(cfg, PhantomDataset(12, size=64, seed=4), out_dir=tmp_path, max_steps=2, resume=True,
              progress=False)  # fmt: skip


def test_cuda_generator_states_are_saved_and_restored(tmp_path, tiny_config, splits, monkeypatch):
    # no GPU here: a stand-in CUDA runtime with one device whose generator state is known
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [torch.tensor([7, 8, 9], dtype=torch.uint8)])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", restored.append)
    cfg = tiny_config.replace(train={"batch_size": 8, "checkpoint_every": 1})
    train(cfg, splits[0], out_dir=tmp_path, max_steps=1, device="cpu", progress=False)
    assert load_checkpoint(tmp_path)["rng"][0]["cuda_rng"][0].tolist() == [7, 8, 9]
    train(cfg, splits[0], out_dir=tmp_path, max_steps=2, resume=True, device="cpu", progress=False)
    assert len(restored) == 1 and restored[0][0].tolist() == [7, 8, 9]


def test_cached_ddp_ranks_keep_fixed_shards():
    ranks = [_EpochSampler(10, seed=3, rank=r, world=2, fixed_shards=True) for r in range(2)]
    shards = [set(s.shard()) for s in ranks]
    assert shards[0] | shards[1] == set(range(10)) and not shards[0] & shards[1]
    for s in ranks:
        orders = []
        for epoch in range(3):
            s.epoch = epoch
            orders.append(s.order())
        assert all(set(o) == set(s.shard()) for o in orders) and orders[0] != orders[1]
    moving = _EpochSampler(10, seed=3, rank=0, world=2)
    seen = set()
    for epoch in range(4):
        moving.epoch = epoch
        seen |= set(moving.order())
    assert len(seen) > 5  # without the cache, a rank sees other images in other epochs


def test_each_rank_resumes_with_its_own_states_and_the_rank_count_must_match(tmp_path, tiny_config, splits):
    from cogaze.train.distributed import DistInfo
    from cogaze.train.loop import _restore

    cfg = tiny_config.replace(train={"batch_size": 8, "checkpoint_every": 1})
    train(cfg, splits[0], out_dir=tmp_path, max_steps=1, progress=False)
    state = load_checkpoint(tmp_path)
    one = state["rng"][0]
    other = {**one, "torch_rng": torch.manual_seed(99).get_state()}
    state["rng"] = [one, other]  # as two ranks would have written it
    sampler = _EpochSampler(16, 0, rank=1, world=2)
    _restore(state, cfg, sampler, DistInfo(rank=1, world_size=2), tmp_path)
    assert torch.equal(torch.get_rng_state(), other["torch_rng"])  # rank 1 got rank 1's state
    with pytest.raises(CheckpointError, match=r"written by 2 rank\(s\); resume it with as many \(now 1\)"):
        _restore(state, cfg, _EpochSampler(16, 0, 0, 1), DistInfo(), tmp_path)

"""The training loop: AdamW, gradient accumulation, bf16 autocast on CUDA, feature cache, checkpoints that
resume exactly after a kill, the paper's two stages, validation with model selection, DDP through
``torchrun``, a progress bar and a JSONL metrics log."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cogaze.batch import Batch
from cogaze.config import CogazeConfig
from cogaze.data.collate import Collator, IndexedDataset
from cogaze.errors import CheckpointError, DataError, NonFiniteLossError
from cogaze.labels import binary_targets
from cogaze.model import CogazeModel
from cogaze.train.cache import FeatureCache
from cogaze.train.checkpoint import CHECKPOINT_NAME, config_differences, load_checkpoint, save_checkpoint
from cogaze.train.distributed import DistInfo, init_distributed
from cogaze.train.select import Selection, stage_loss, validate

BEST_NAME = "best.pt"


@dataclass
class TrainResult:
    """What a training run leaves behind."""

    out_dir: Path
    steps: int  # optimizer steps done in total (including before a resume)
    epochs_done: float
    seconds: float
    history: list[dict] = field(default_factory=list)  # logged records of this run
    checkpoint: Path | None = None
    best: Path | None = None  # best.pt by train.select_metric on the validation split (None without one)
    best_value: float | None = None

    def first_last(self, key: str = "loss") -> tuple[float, float]:
        """Mean of ``key`` over the first and the last 20% of logged records."""
        vals = [h[key] for h in self.history if key in h]
        k = max(1, len(vals) // 5)
        return float(np.mean(vals[:k])), float(np.mean(vals[-k:]))


class _Step(nn.Module):
    """Forward + loss in one module, so DDP synchronises every parameter (temperatures included)."""

    def __init__(self, model: CogazeModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        return stage_loss(self.model, batch, self.model.config.train.stage, self.model.config)


class _EpochSampler(torch.utils.data.Sampler):
    """Seeded permutation per epoch, sharded over ranks, starting at a batch offset (for resume).

    With ``fixed_shards`` (the feature cache under DDP) each rank keeps the same images every epoch, shuffled
    within its shard, so that it caches only those; otherwise the shards change with every epoch.
    """

    def __init__(self, n: int, seed: int, rank: int, world: int, fixed_shards: bool = False) -> None:
        self.n, self.seed, self.rank, self.world = n, seed, rank, world
        self.fixed_shards = fixed_shards
        self.epoch, self.start = 0, 0

    def _shard(self, perm: list[int]) -> list[int]:
        per = math.ceil(self.n / self.world)
        return (perm + perm[: per * self.world - self.n])[self.rank :: self.world]

    def shard(self) -> list[int]:
        """This rank's fixed images (``fixed_shards``), or every image."""
        if not self.fixed_shards:
            return list(range(self.n))
        return self._shard(
            torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed)).tolist()
        )

    def global_order(self) -> list[int]:
        """The epoch's permutation of the whole data set, the same on every rank (the shards come from it)."""
        return torch.randperm(
            self.n, generator=torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        ).tolist()

    def order(self) -> list[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        if self.fixed_shards:
            shard = self.shard()
            return [shard[i] for i in torch.randperm(len(shard), generator=g).tolist()]
        return self._shard(torch.randperm(self.n, generator=g).tolist())

    def __iter__(self) -> Iterator[int]:
        return iter(self.order()[self.start :])

    def __len__(self) -> int:
        return len(self.order()) - self.start


def _barrier(dist: DistInfo) -> None:
    if dist.world_size > 1:
        import torch.distributed

        torch.distributed.barrier()


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _param_groups(model: CogazeModel, weight_decay: float) -> list[dict]:
    """Decay / no-decay groups; in the finetune stage the decoder's own groups run at ``decoder_lr_mult``."""
    t = model.config.train
    decoder = {id(p) for p in model.decoder.parameters()} if model.decoder is not None else set()
    mult = t.decoder_lr_mult if t.stage == "finetune" else 1.0
    groups: dict[tuple[bool, bool], list] = {}
    for p in model.parameters():
        if p.requires_grad:
            groups.setdefault((p.ndim >= 2, id(p) in decoder), []).append(p)
    return [
        {"params": ps, "weight_decay": weight_decay if decay else 0.0, "lr_mult": mult if dec else 1.0}
        for (decay, dec), ps in sorted(groups.items())
    ]


def _lr_at(step: int, total: int, base: float, warmup: int, plateau_scale: float | None = None) -> float:
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if plateau_scale is not None:
        return base * plateau_scale
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))  # cosine to 10%


def _rng_state() -> dict:
    """This process's random states: CPU, CUDA (every device it uses), Python and NumPy."""
    return {
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "python_rng": random.getstate(),
        "numpy_rng": np.random.get_state(),
    }


def _gathered_rng_states(dist: DistInfo) -> list[dict]:
    """Every rank's random states, in rank order (each rank seeds differently, so each keeps its own)."""
    mine = _rng_state()
    if dist.world_size == 1:
        return [mine]
    import torch.distributed

    states: list = [None] * dist.world_size
    torch.distributed.all_gather_object(states, mine)
    return states


def _restore(state: dict, config: CogazeConfig, sampler: _EpochSampler, dist: DistInfo, path: Path) -> None:
    """Check that a checkpoint may be continued with ``config``, this data and this many ranks, then restore
    this rank's random states."""
    saved_train = state["config"].get("train", {})
    now = config.to_dict()["train"]
    changed = sorted(k for k in set(saved_train) | set(now) if saved_train.get(k) != now.get(k))
    if changed:
        raise CheckpointError(
            f"checkpoint: {path} was trained with a different train section (field(s) {changed}); an exact "
            "resume needs the same one: use a new run folder, or the same settings"
        )
    sampler.epoch = state["epoch"]
    if "data_order" in state and list(state["data_order"]) != sampler.global_order():
        raise CheckpointError(
            f"checkpoint: {path}: the data order of epoch {state['epoch']} differs from the saved one "
            "(the dataset changed since the checkpoint was written)"
        )
    ranks = state.get("rng") or [{"torch_rng": state["torch_rng"]}]  # format 1 kept one CPU state
    if len(ranks) != dist.world_size:
        raise CheckpointError(
            f"checkpoint: {path} was written by {len(ranks)} rank(s); resume it with as many (now "
            f"{dist.world_size}), since each rank's data shard and random states depend on it"
        )
    rng = ranks[dist.rank]
    torch.set_rng_state(rng["torch_rng"])
    if rng.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda_rng"])
    if rng.get("python_rng") is not None:
        random.setstate(rng["python_rng"])
    if rng.get("numpy_rng") is not None:
        np.random.set_state(rng["numpy_rng"])


def train(
    config: CogazeConfig,
    dataset,
    *,
    out_dir: str | Path,
    max_steps: int | None = None,
    epochs: int | None = None,
    resume: bool = False,
    device: str | torch.device | None = None,
    progress: bool = True,
    on_log: Callable[[dict], None] | None = None,
    val_dataset=None,
    init_from: str | Path | None = None,
) -> TrainResult:
    """Train a CoGaze model on ``dataset`` and write ``checkpoint.pt`` and ``metrics.jsonl`` to ``out_dir``.

    Parameters
    ----------
    config : CogazeConfig
        Model and training configuration (``config.train`` holds lr, batch size, accumulation, the stage,
        the schedule and the selection metric).
    dataset : CogazeDataset
        Training samples.
    out_dir : path
        Run folder; with ``resume=True`` an existing ``checkpoint.pt`` there is continued exactly (same
        ``train`` section required).
    max_steps, epochs : int, optional
        Override ``config.train.max_steps`` / ``epochs`` (optimizer steps / passes over the data).
    device : str, optional
        Default: CUDA (this rank's GPU) when available, else CPU.
    val_dataset : CogazeDataset, optional
        Validation split: evaluated after every epoch; the best checkpoint by ``train.select_metric`` is
        kept as ``best.pt``. Required by the ``plateau`` schedule.
    init_from : path, optional
        A checkpoint (file or run folder) whose model weights start this run: the finetune stage starts from
        the pretraining stage's ``best.pt``.

    Raises
    ------
    NonFiniteLossError
        A loss part is NaN or infinite (named, with the step).
    CheckpointError
        ``resume`` with a checkpoint from another model configuration, another ``train`` section or data.
    """
    t = config.train
    dist: DistInfo = init_distributed()
    if device is None:
        device = f"cuda:{dist.local_rank}" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cpu" and t.cpu_threads > 0:
        torch.set_num_threads(t.cpu_threads)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if len(dataset) == 0:
        raise DataError("dataset: no training samples")
    if t.schedule == "plateau" and val_dataset is None:
        raise DataError(
            "val_dataset: the plateau schedule follows the validation metric; give a validation split"
        )
    if val_dataset is not None and len(val_dataset) == 0:
        raise DataError("val_dataset: the validation split is empty")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _seed_all(t.seed + dist.rank)

    model = CogazeModel(config).to(device)
    if init_from is not None:
        start = load_checkpoint(init_from)
        diffs = config_differences(start["config_obj"], config)
        if diffs:
            raise CheckpointError(f"init_from: {init_from} has another model (field(s) {diffs})")
        model.load_state_dict(start["model"])
    model.criterion.set_class_counts(binary_targets(dataset.label_states()).sum(0))
    step_module: nn.Module = _Step(model)
    if dist.world_size > 1:
        step_module = torch.nn.parallel.DistributedDataParallel(
            step_module,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=True,
        )
    optimizer = torch.optim.AdamW(_param_groups(model, t.weight_decay), lr=t.lr, betas=(0.9, 0.98))

    use_cache = config.vision.frozen and t.cache_features
    sampler = _EpochSampler(len(dataset), t.seed, dist.rank, dist.world_size, fixed_shards=use_cache)
    micro_per_epoch = math.ceil(len(sampler.order()) / t.batch_size)
    steps_per_epoch = max(1, micro_per_epoch // t.grad_accum)
    n_epochs = epochs if epochs is not None else t.epochs
    total = max_steps if max_steps else (t.max_steps or n_epochs * steps_per_epoch)

    step, epoch, micro_in_epoch = 0, 0, 0
    selection = Selection(t.select_metric)
    ckpt_path = out / CHECKPOINT_NAME
    if resume and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path, expect=config)
        _restore(state, config, sampler, dist, ckpt_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, epoch, micro_in_epoch = state["step"], state["epoch"], state["micro_in_epoch"]
        selection = Selection(**state.get("selection", selection.state()))
    cache = None
    if use_cache:
        v = config.vision
        cache = FeatureCache(
            sampler.shard(), 1 + v.grid**2, v.hidden_size, store=t.cache_store, folder=out,
            pin=device.type == "cuda", fraction=t.cache_memory_fraction,
        )  # fmt: skip
    collate = Collator(config)
    use_bf16 = device.type == "cuda" and t.bf16
    is_main = dist.rank == 0
    metrics_file = (out / "metrics.jsonl").open("a") if is_main else None
    bar = None
    if progress and is_main:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=step, desc=f"cogaze {config.name}", unit="step", dynamic_ncols=True)

    def checkpoint(path: Path = ckpt_path) -> Path | None:
        rng = _gathered_rng_states(dist)  # every rank takes part
        if not is_main:
            _barrier(dist)
            return None
        path = save_checkpoint(
            path,
            {
                "config": config.to_dict(),
                "architecture": model.architecture(),
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "epoch": epoch,
                "micro_in_epoch": micro_in_epoch,
                "selection": selection.state(),
                "rng": rng,
                "data_order": sampler.global_order(),
                "format": "cogaze-checkpoint-2",
            },
        )
        _barrier(dist)  # other ranks wait until the file is complete
        return path

    def log(record: dict) -> None:
        history.append(record)
        if is_main:
            metrics_file.write(json.dumps(record) + "\n")
            metrics_file.flush()
            if on_log:
                on_log(record)

    def select(at_epoch: int) -> Path | None:
        path = _validate_and_select(model, val_dataset, config, device, selection, log, step, at_epoch,
                                    lambda: checkpoint(out / BEST_NAME))  # fmt: skip
        step_module.train()
        return path

    history: list[dict] = []
    t0 = time.perf_counter()
    step_module.train()
    accum: dict[str, float] = {}
    n_accum = 0
    saved: Path | None = None
    best: Path | None = out / BEST_NAME if (out / BEST_NAME).is_file() else None
    try:
        while step < total:
            sampler.epoch, sampler.start = epoch, micro_in_epoch * t.batch_size
            loader = torch.utils.data.DataLoader(
                IndexedDataset(dataset),
                batch_size=t.batch_size,
                sampler=sampler,
                collate_fn=collate,
                num_workers=t.num_workers,
                drop_last=False,
                # its own generator: creating the iterator must not draw from the global RNG (exact resume)
                generator=torch.Generator().manual_seed(t.seed * 7919 + epoch),
            )
            for batch in loader:
                batch = batch.to(device)
                if cache is not None:
                    batch = cache.fill(batch, model.vision)
                # under DDP, gradients are all-reduced only on the micro-batch that ends an accumulation
                last_micro = n_accum + 1 >= t.grad_accum
                sync = step_module.no_sync() if dist.world_size > 1 and not last_micro else nullcontext()
                with sync, torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    parts = step_module(batch)
                for name, value in parts.items():
                    if not torch.isfinite(value).all():
                        raise NonFiniteLossError(
                            f"loss: {name} is {float(value.detach())} at step {step} (epoch {epoch}, "
                            f"studies {batch.study_ids[:4]}...); lower train.lr or check the data"
                        )
                (parts["loss"] / t.grad_accum).backward()
                for name, value in parts.items():
                    accum[name] = accum.get(name, 0.0) + float(value.detach())
                n_accum += 1
                micro_in_epoch += 1
                if n_accum < t.grad_accum:
                    continue
                plateau = selection.lr_scale if t.schedule == "plateau" else None
                lr = _lr_at(step, total, t.lr, t.warmup_steps, plateau)
                for group in optimizer.param_groups:
                    group["lr"] = lr * group.get("lr_mult", 1.0)
                if t.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                record = {k: v / n_accum for k, v in accum.items()}
                accum, n_accum = {}, 0
                record.update(step=step, epoch=epoch, lr=lr, seconds=time.perf_counter() - t0)
                if cache is not None:
                    record["cache_size"] = len(cache)
                if step % t.log_every == 0 or step == total:
                    log(record)
                else:
                    history.append(record)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{record['loss']:.3f}")
                if t.checkpoint_every and step % t.checkpoint_every == 0:
                    saved = checkpoint()
                if step >= total:
                    break
            else:
                # an unfinished accumulation carries over into the next epoch (tiny data sets still step)
                epoch += 1
                micro_in_epoch = 0
                if val_dataset is not None:
                    best = select(epoch) or best
                continue
            break
        if val_dataset is not None and (not history or not history[-1].get("validation")):
            best = select(epoch + 1) or best  # the run ended inside (or at the end of) an epoch
        saved = checkpoint() or saved
    finally:
        if bar is not None:
            bar.close()
        if metrics_file is not None:
            metrics_file.close()
    return TrainResult(
        out_dir=out,
        steps=step,
        epochs_done=epoch + micro_in_epoch / max(1, micro_per_epoch),
        seconds=time.perf_counter() - t0,
        history=history,
        checkpoint=saved,
        best=best,
        best_value=selection.best,
    )


def _validate_and_select(model, val_dataset, config, device, selection, log, step, epoch, save_best):
    """Validate after an epoch, log it, update the selection; returns best.pt's path when it was rewritten."""
    metrics = validate(model, val_dataset, config, device, config.train.stage)
    improved = selection.update(metrics[config.train.select_metric], config)
    log({**metrics, "step": step, "epoch": epoch, "validation": True, "best": improved,
         "lr_scale": selection.lr_scale})  # fmt: skip
    return save_best() if improved else None

"""Validation during training, model selection on it, and the plateau learning-rate schedule.

Every epoch the model is run on the validation split: the mean of each loss part (``val_loss``,
``val_contrastive_loss``, ...) and, when ``train.select_metric`` is a text metric (``val_bleu4``,
``val_rouge_l``, ``val_cider_d``, ...), the generation metrics of the first ``train.val_generate`` studies.
The checkpoint with the best ``select_metric`` is kept as ``best.pt`` (lower is better for names containing
"loss", higher for the others).

Schedules: ``cosine`` (the project's) decays from ``lr`` to 10 % of it over the planned steps, after linear
warm-up, whatever validation says. ``plateau`` (the paper's) keeps ``lr`` until the selected metric has not
improved for more than ``plateau_patience`` validations, then multiplies it by ``plateau_factor``, never going
below ``plateau_min_scale`` x ``lr``: the run length then no longer shapes the learning rate, validation does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from cogaze.config import CogazeConfig
from cogaze.data.collate import Collator, IndexedDataset
from cogaze.errors import ConfigError

TEXT_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "rouge_l", "cider_d")


def lower_is_better(metric: str) -> bool:
    return "loss" in metric


@dataclass
class Selection:
    """Best value of the selected metric so far and the plateau schedule's state (saved in checkpoints)."""

    metric: str
    best: float | None = None
    stalls: int = 0  # validations in a row without improvement
    lr_scale: float = 1.0  # plateau: the factor applied to the base lr

    def update(self, value: float, config: CogazeConfig) -> bool:
        """Record a validation value; True when it is a new best. Lowers ``lr_scale`` on a plateau."""
        if not math.isfinite(value):
            raise ConfigError(f"config.train.select_metric: {self.metric} is {value} on the validation split")
        better = self.best is None or (
            value < self.best if lower_is_better(self.metric) else value > self.best
        )
        if better:
            self.best, self.stalls = value, 0
            return True
        self.stalls += 1
        t = config.train
        if t.schedule == "plateau" and self.stalls > t.plateau_patience:
            self.lr_scale = max(t.plateau_min_scale, self.lr_scale * t.plateau_factor)
            self.stalls = 0
        return False

    def state(self) -> dict:
        return {"metric": self.metric, "best": self.best, "stalls": self.stalls, "lr_scale": self.lr_scale}


@torch.no_grad()
def validate(model, dataset, config: CogazeConfig, device: torch.device, stage: str) -> dict[str, float]:
    """Mean loss parts on ``dataset`` (``val_`` names), and text metrics when the selection needs them."""
    from cogaze.evaluate.metrics import bleu, cider_d, rouge_l

    was_training = model.training
    model.eval()
    loader = torch.utils.data.DataLoader(
        IndexedDataset(dataset),
        batch_size=config.train.batch_size,
        shuffle=False,
        collate_fn=Collator(config),
    )
    sums: dict[str, float] = {}
    n = 0
    wanted = config.train.select_metric.removeprefix("val_")
    generate = wanted in TEXT_METRICS and model.decoder is not None
    hyps: list[str] = []
    refs: list[list[str]] = []
    for batch in loader:
        batch = batch.to(device)
        parts = stage_loss(model, batch, stage, config)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(batch)
        n += len(batch)
        if generate and len(hyps) < config.train.val_generate:
            take = min(len(batch), config.train.val_generate - len(hyps))
            enc = model.encode_image(batch.images[:take], batch.view_ids[:take], batch.contexts[:take])
            hyps += model.generate(enc)
            refs += [[f] for f in batch.findings[:take]]
    out = {f"val_{k}": v / max(n, 1) for k, v in sums.items()}
    if hyps:
        out.update({f"val_{k}": v for k, v in bleu(hyps, refs).items()})
        out["val_rouge_l"] = rouge_l(hyps, refs)
        out["val_cider_d"] = cider_d(hyps, refs)
    model.train(was_training)
    if config.train.select_metric not in out:
        raise ConfigError(
            f"config.train.select_metric: {config.train.select_metric!r} is not measured at validation "
            f"(measured: {sorted(out)})"
        )
    return out


def stage_loss(model, batch, stage: str, config: CogazeConfig) -> dict[str, torch.Tensor]:
    """Loss parts of one batch, with ``loss`` set to what ``stage`` optimises."""
    parts = model.compute_loss(batch, model(batch, with_report=stage != "pretrain"))
    if stage == "pretrain":
        parts["loss"] = parts["representation_loss"]
    elif stage == "finetune":
        w = config.train.finetune_representation_weight
        # with weight 0 the representation parts stay out of the graph: their heads get no gradient at all
        parts["loss"] = parts["report_loss"] + w * parts["representation_loss"] if w else parts["report_loss"]
    return parts

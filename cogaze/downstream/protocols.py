"""Downstream protocols on a pretrained CoGaze image encoder: linear probe, fine-tuning, segmentation.

Splits are by patient and never touch the test images while training or choosing: the data set's own test
list where it has one (NIH), else a seeded ``test_fraction`` of the patients; the rest is split by patient
into train and a real validation split (``val_fraction``), on which the epoch (and the F1 threshold) is
chosen. The training split is then cut to the requested fraction (1 %, 10 %, 100 %; seeded, at least one
image per class state where possible). Test figures are computed once, with the model chosen on validation.

- ``linear``: the encoder is frozen; its pooled image embedding feeds a linear layer.
- ``finetune``: the same head, and the encoder's trainable parts train too (at ``lr`` / 10).
- ``segment``: a 1x1 convolution on the patch features, upsampled to the input; Dice on the masks.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cogaze.data.collate import resize_image
from cogaze.downstream.readers import DownstreamItem, DownstreamSet
from cogaze.errors import DataError
from cogaze.evaluate.metrics import auroc, f1_score
from cogaze.vision import view_index


@dataclass(frozen=True)
class Split:
    train: list[DownstreamItem]
    val: list[DownstreamItem]
    test: list[DownstreamItem]


def split_by_patient(data: DownstreamSet, *, val_fraction: float = 0.1, test_fraction: float = 0.2,
                     seed: int = 0) -> Split:  # fmt: skip
    """Patient-level train / validation / test (the data set's own test images where it fixes them)."""
    fixed_test = [i for i in data.items if i.split == "test"]
    rest = [i for i in data.items if i.split != "test"]
    patients = sorted({i.patient_id for i in rest})
    rng = np.random.default_rng(seed)
    rng.shuffle(patients)
    n_test = 0 if fixed_test else max(1, round(test_fraction * len(patients)))
    n_val = max(1, round(val_fraction * len(patients)))
    if len(patients) < n_test + n_val + 1:
        raise DataError(f"{data.name}: {len(patients)} patients are too few for train, validation and test")
    test_p, val_p = set(patients[:n_test]), set(patients[n_test : n_test + n_val])
    test = fixed_test or [i for i in rest if i.patient_id in test_p]
    val = [i for i in rest if i.patient_id in val_p]
    train = [i for i in rest if i.patient_id not in test_p | val_p]
    return Split(train, val, test)


def subsample(items: list[DownstreamItem], fraction: float, seed: int = 0) -> list[DownstreamItem]:
    """A seeded ``fraction`` of ``items`` (at least one positive and one negative of the first class if any)."""
    if not 0.0 < fraction <= 1.0:
        raise DataError(f"fraction: expected 0 < fraction <= 1, got {fraction}")
    n = max(2, math.ceil(fraction * len(items)))
    order = np.random.default_rng(seed).permutation(len(items)).tolist()
    chosen = order[:n]
    for want in (1.0, 0.0):  # keep both classes present where the data has them
        if not any(items[i].labels[0] == want for i in chosen):
            extra = next((i for i in order[n:] if items[i].labels[0] == want), None)
            if extra is not None:
                chosen[-1 if want == 0.0 else 0] = extra
    return [items[i] for i in sorted(set(chosen))]


class _Head(nn.Module):
    def __init__(self, encoder, dim: int, classes: int, segment: bool) -> None:
        super().__init__()
        self.encoder, self.segment = encoder, segment
        self.head = nn.Conv2d(dim, classes, 1) if segment else nn.Linear(dim, classes)

    def forward(self, images: torch.Tensor, views: torch.Tensor) -> torch.Tensor:
        enc = self.encoder.encode_image(images, views, [""] * len(images))
        if not self.segment:
            return self.head(enc.image_embeds)  # (B, C)
        g = self.encoder.config.vision.grid
        patches = enc.patch_feats  # (B, N, D) without CLS
        x = patches.transpose(1, 2).reshape(len(images), -1, g, g)
        return F.interpolate(self.head(x), size=images.shape[-2:], mode="bilinear", align_corners=False)


def _tensors(items: list[DownstreamItem], size: int, segment: bool):
    images, views, labels, masks = [], [], [], []
    for item in items:
        img = item.image()
        images.append(resize_image(img, size))
        views.append(view_index(item.view_position))
        labels.append(torch.from_numpy(item.labels))
        if segment:
            m = item.mask(img.shape) if item.mask else np.zeros(img.shape, bool)
            masks.append(resize_image(m.astype(np.float32), size) > 0.5)
    out = (torch.stack(images), torch.tensor(views), torch.stack(labels))
    return (*out, torch.stack(masks).float() if segment else None)


def _scores(model: _Head, data, batch: int) -> np.ndarray:
    model.eval()
    images, views = data[0], data[1]
    with torch.no_grad():
        out = [
            torch.sigmoid(model(images[i : i + batch], views[i : i + batch]))
            for i in range(0, len(images), batch)
        ]
    return torch.cat(out).numpy()


def _dice(prob: np.ndarray, masks: np.ndarray, threshold: float = 0.5) -> float:
    """Mean Dice over images with a mask or a prediction (1 where both are empty)."""
    pred, true = prob > threshold, masks > 0.5
    scores = []
    for p, t in zip(pred, true, strict=True):
        denom = p.sum() + t.sum()
        scores.append(1.0 if denom == 0 else 2.0 * (p & t).sum() / denom)
    return float(np.mean(scores))


def _metric(data: DownstreamSet, scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    if data.metric == "f1":
        return f1_score(scores[:, 0] > threshold, labels[:, 0])
    vals = [auroc(scores[:, k], labels[:, k]) for k in range(labels.shape[1])]
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def _best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The F1-maximising threshold on validation (0.5 when there are no positives)."""
    candidates = np.unique(np.concatenate([scores[:, 0], [0.5]]))
    return float(max(candidates, key=lambda t: f1_score(scores[:, 0] >= t, labels[:, 0])))


def run_protocol(encoder, data: DownstreamSet, split: Split, *, protocol: str, fraction: float = 1.0,
                 epochs: int = 5, lr: float = 1e-3, batch_size: int = 16, seed: int = 0) -> dict:  # fmt: skip
    """Train a head on ``fraction`` of the training split, choose the epoch on validation, report the test.

    Returns a row: data set, protocol, fraction, n train/val/test, the chosen epoch, validation and test
    values of the data set's metric (``auroc`` or ``f1``; ``dice`` for ``segment``).
    """
    if protocol not in ("linear", "finetune", "segment"):
        raise DataError(f"protocol: expected linear, finetune or segment, got {protocol!r}")
    segment = protocol == "segment"
    if segment and not data.has_masks:
        raise DataError(f"{data.name}: no masks for the segment protocol")
    torch.manual_seed(seed)
    encoder = copy.deepcopy(encoder)
    size = encoder.config.vision.image_size
    train_items = subsample(split.train, fraction, seed)
    tr, va, te = (_tensors(x, size, segment) for x in (train_items, split.val, split.test))
    classes = 1 if segment else len(data.class_names)
    model = _Head(encoder, encoder.config.dim, classes, segment)
    head_params = list(model.head.parameters())
    groups = [{"params": head_params, "lr": lr}]
    if protocol == "linear":
        encoder.requires_grad_(False)
    else:
        groups.append({"params": [p for p in encoder.parameters() if p.requires_grad], "lr": lr / 10})
    optimizer = torch.optim.AdamW(groups, weight_decay=1e-4)
    best = (-math.inf, 0, None)
    for epoch in range(1, epochs + 1):
        model.train()
        if protocol == "linear":
            encoder.eval()
        order = torch.randperm(len(tr[0]))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            logits = model(tr[0][idx], tr[1][idx])
            target = tr[3][idx] if segment else tr[2][idx]
            loss = F.binary_cross_entropy_with_logits(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scores = _scores(model, va, batch_size)
        value = _dice(scores, va[3].numpy()) if segment else _metric(data, scores, va[2].numpy(), 0.5)
        if not np.isfinite(value):
            value = -float(loss.detach())  # a validation split with one class: fall back to the train loss
        if value > best[0]:
            best = (value, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    val_scores, test_scores = _scores(model, va, batch_size), _scores(model, te, batch_size)
    if segment:
        test_value, metric = _dice(test_scores, te[3].numpy()), "dice"
    else:
        threshold = _best_threshold(val_scores, va[2].numpy()) if data.metric == "f1" else 0.5
        test_value, metric = _metric(data, test_scores, te[2].numpy(), threshold), data.metric
    return {
        "dataset": data.name, "protocol": protocol, "fraction": fraction, "metric": metric,
        "n_train": len(train_items), "n_val": len(split.val), "n_test": len(split.test),
        "best_epoch": best[1], "val": float(best[0]), "test": float(test_value),
    }  # fmt: skip

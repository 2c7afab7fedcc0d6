"""CoGaze losses (DESIGN.md §5), each an ``nn.Module`` that returns a dict of named parts.

Total: ``L = L_con + L_gaze + 0.5 L_cls_img + 0.5 L_cls_txt`` (weights from
:class:`cogaze.config.LossConfig`), plus the report decoder's teacher-forced cross-entropy, which is
reported apart and added with ``report_weight`` (0 gives exactly the representation loss of the paper).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from cogaze.config import LossConfig
from cogaze.labels import NUM_OBSERVATIONS

_EPS = 1e-8


def _no_autocast(t: torch.Tensor):
    """Losses run in float32 even inside a bf16 autocast region (softmax temperatures, masks, logs)."""
    return torch.autocast(device_type=t.device.type, enabled=False)


def study_groups(study_ids: Sequence[str], device: torch.device | None = None) -> torch.Tensor:
    """Integer group id per item (B,): equal ids for equal study ids."""
    index: dict[str, int] = {}
    return torch.tensor([index.setdefault(s, len(index)) for s in study_ids], device=device, dtype=torch.long)


class ContrastiveLoss(nn.Module):
    """Multi-positive CLIP loss: every image-text pair from the same study is a positive.

    Targets are the same-study matrix, row-normalised; the loss is the mean of the image-to-text and
    text-to-image soft cross-entropies. With all studies distinct it is exactly the CLIP loss.
    """

    def __init__(self, temperature_init: float = 1.0 / 0.07) -> None:
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(temperature_init)))

    def forward(
        self, image_embeds: torch.Tensor, text_embeds: torch.Tensor, study_ids: Sequence[str]
    ) -> dict[str, torch.Tensor]:
        """image_embeds (B, D), text_embeds (B, D) -> ``{"contrastive_loss": ()}``."""
        with _no_autocast(image_embeds):
            return self._forward(image_embeds, text_embeds, study_ids)

    def _forward(self, image_embeds, text_embeds, study_ids):
        img = F.normalize(image_embeds.float(), dim=-1)
        txt = F.normalize(text_embeds.float(), dim=-1)
        scale = self.logit_scale.exp().clamp(max=100.0)
        logits = scale * img @ txt.t()  # (B, B), rows images, columns texts
        groups = study_groups(study_ids, logits.device)
        same = (groups[:, None] == groups[None, :]).float()  # (B, B), symmetric
        targets = same / same.sum(1, keepdim=True)
        loss_i2t = -(targets * logits.log_softmax(1)).sum(1).mean()
        loss_t2i = -(targets * logits.t().log_softmax(1)).sum(1).mean()
        return {"contrastive_loss": 0.5 * (loss_i2t + loss_t2i)}


def class_balanced_weights(counts: torch.Tensor, beta: float) -> torch.Tensor:
    """Class-balanced weights (1 - beta) / (1 - beta^n_c), renormalised to sum to the number of classes.

    Classes with no positives are treated as having one (their weight is the largest, and finite).

    >>> w = class_balanced_weights(torch.tensor([10.0, 1000.0]), 0.9999)
    >>> round(float(w.sum()), 4), bool(w[0] > w[1])
    (2.0, True)
    """
    n = counts.double().clamp_min(1.0)
    w = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    return (w * len(w) / w.sum()).float()


class ClassBalancedBCE(nn.Module):
    """14-way multi-label BCE with class-balanced weights (uncertain already mapped to positive in targets).

    Call :meth:`set_class_counts` with the training set's positive counts; before that all weights are 1.
    """

    def __init__(self, num_classes: int = NUM_OBSERVATIONS, beta: float = 0.9999) -> None:
        super().__init__()
        self.beta = beta
        self.register_buffer("class_weights", torch.ones(num_classes))

    def set_class_counts(self, counts: torch.Tensor | Sequence[float]) -> None:
        """Set weights from per-class positive counts (14,)."""
        counts = torch.as_tensor(counts, dtype=torch.float64)
        self.class_weights.copy_(class_balanced_weights(counts, self.beta).to(self.class_weights.device))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """logits (B, C), targets (B, C) in {0, 1} -> ``{"cls_loss": ()}``, mean over batch and classes."""
        with _no_autocast(logits):
            # (B, C) per-class BCE
            bce = F.binary_cross_entropy_with_logits(logits.float(), targets.float(), reduction="none")
            return {"cls_loss": (bce * self.class_weights).mean()}


def topk_nonzero(heatmaps: torch.Tensor, fraction: float = 0.25) -> torch.Tensor:
    """Keep the largest ``floor(fraction * nnz)`` (at least 1) non-zero entries of each row, renormalised.

    Parameters
    ----------
    heatmaps : torch.Tensor
        Non-negative (..., N).
    fraction : float
        Fraction of the non-zero entries to keep.

    Returns
    -------
    torch.Tensor
        (..., N), each row with a non-zero entry sums to 1; all-zero rows stay zero.
    """
    nnz = (heatmaps > 0).sum(-1, keepdim=True)  # (..., 1)
    k = torch.clamp(torch.floor(nnz.float() * fraction), min=1.0).long()
    order = heatmaps.argsort(dim=-1, descending=True, stable=True)
    ranks = torch.empty_like(order)
    ranks.scatter_(-1, order, torch.arange(heatmaps.shape[-1], device=heatmaps.device).expand_as(order))
    kept = torch.where((ranks < k) & (heatmaps > 0), heatmaps, torch.zeros_like(heatmaps))
    return kept / kept.sum(-1, keepdim=True).clamp_min(_EPS)


def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence (nats) between distributions along the last axis -> (...)."""
    m = 0.5 * (p + q)
    log_m = m.clamp_min(_EPS).log()
    kl_pm = (p * (p.clamp_min(_EPS).log() - log_m)).sum(-1)
    kl_qm = (q * (q.clamp_min(_EPS).log() - log_m)).sum(-1)
    return 0.5 * (kl_pm + kl_qm)


class GazeLoss(nn.Module):
    """Sentence-to-patch gaze alignment by top-k Jensen-Shannon divergence, both ways.

    Similarity of each transcript sentence's [CLS] feature with every patch feature (cosine, times a learnable
    temperature). Text-to-image: per sentence, the softmax over patches against the top-k heatmap.
    Image-to-text:
    per patch that has gaze, the softmax over the image's sentences against the top-k of the heatmap column.
    ``gaze_loss = t2i_weight * t2i + i2t_weight * i2t``, averaged over images with gaze; zero without gaze.
    """

    def __init__(
        self,
        temperature_init: float = 1.0 / 0.07,
        topk_fraction: float = 0.25,
        t2i_weight: float = 0.2,
        i2t_weight: float = 0.8,
    ) -> None:
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(temperature_init)))
        self.topk_fraction, self.t2i_weight, self.i2t_weight = topk_fraction, t2i_weight, i2t_weight

    def forward(
        self,
        sentence_feats: torch.Tensor,
        patch_feats: torch.Tensor,
        heatmaps: torch.Tensor,
        sentence_mask: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """sentence_feats (B, S, D), patch_feats (B, N, D), heatmaps (B, S, N), sentence_mask (B, S) bool.

        Returns ``{"gaze_loss", "gaze_t2i", "gaze_i2t"}`` (scalars).
        """
        with _no_autocast(patch_feats):
            return self._forward(sentence_feats, patch_feats, heatmaps, sentence_mask)

    def _forward(self, sentence_feats, patch_feats, heatmaps, sentence_mask):
        heatmaps = heatmaps.float()
        valid = sentence_mask & (heatmaps.sum(-1) > 0)  # (B, S) sentences with gaze
        has_gaze = valid.any(-1)  # (B,)
        zero = patch_feats.new_zeros((), dtype=torch.float32)
        if not bool(has_gaze.any()):
            return {"gaze_loss": zero, "gaze_t2i": zero, "gaze_i2t": zero}
        s = F.normalize(sentence_feats.float(), dim=-1)
        p = F.normalize(patch_feats.float(), dim=-1)
        scale = self.logit_scale.exp().clamp(max=100.0)
        logits = scale * s @ p.transpose(1, 2)  # (B, S, N)

        # text -> image: each sentence's distribution over patches
        t2i_pred = logits.softmax(-1)
        t2i_target = topk_nonzero(heatmaps, self.topk_fraction)
        t2i = js_divergence(t2i_target, t2i_pred)  # (B, S)
        t2i_img = (t2i * valid).sum(-1) / valid.sum(-1).clamp_min(1)  # (B,)

        # image -> text: each gazed patch's distribution over the image's sentences
        col = heatmaps.masked_fill(~valid[..., None], 0.0).transpose(1, 2)  # (B, N, S)
        patch_valid = col.sum(-1) > 0  # (B, N)
        i2t_logits = logits.transpose(1, 2).masked_fill(~valid[:, None, :], torch.finfo(torch.float32).min)
        i2t_pred = i2t_logits.softmax(-1)  # (B, N, S)
        i2t_target = topk_nonzero(col, self.topk_fraction)
        i2t = js_divergence(i2t_target, i2t_pred)  # (B, N)
        i2t_img = (i2t * patch_valid).sum(-1) / patch_valid.sum(-1).clamp_min(1)

        n = has_gaze.sum()
        t2i_mean = (t2i_img * has_gaze).sum() / n
        i2t_mean = (i2t_img * has_gaze).sum() / n
        total = self.t2i_weight * t2i_mean + self.i2t_weight * i2t_mean
        return {"gaze_loss": total, "gaze_t2i": t2i_mean, "gaze_i2t": i2t_mean}


class CogazeLoss(nn.Module):
    """All CoGaze losses, combined with the weights of a :class:`LossConfig`."""

    def __init__(self, config: LossConfig) -> None:
        super().__init__()
        self.config = config
        self.contrastive = ContrastiveLoss(config.temperature_init)
        self.image_cls = ClassBalancedBCE(NUM_OBSERVATIONS, config.cb_beta)
        self.text_cls = ClassBalancedBCE(NUM_OBSERVATIONS, config.cb_beta)
        self.gaze = GazeLoss(
            config.gaze_temperature_init,
            config.gaze_topk_fraction,
            config.gaze_t2i_weight,
            config.gaze_i2t_weight,
        )

    def set_class_counts(self, counts: torch.Tensor | Sequence[float]) -> None:
        """Positive counts per observation (14,) of the training set, for both classification losses."""
        self.image_cls.set_class_counts(counts)
        self.text_cls.set_class_counts(counts)

    def forward(self, out, study_ids: Sequence[str], targets: torch.Tensor, heatmaps, sentence_mask):
        """Combine the parts for a :class:`cogaze.model.CogazeOutput`.

        Returns a dict with ``loss`` (to optimise), ``representation_loss`` (the paper's L) and every part.
        """
        c = self.config
        parts: dict[str, torch.Tensor] = {}
        parts.update(self.contrastive(out.image_embeds, out.text_embeds, study_ids))
        parts["image_cls_loss"] = self.image_cls(out.image_logits, targets)["cls_loss"]
        parts["text_cls_loss"] = self.text_cls(out.text_logits, targets)["cls_loss"]
        if c.use_gaze and out.sentence_feats is not None and heatmaps is not None:
            parts.update(self.gaze(out.sentence_feats, out.patch_feats, heatmaps, sentence_mask))
        else:
            parts["gaze_loss"] = parts["contrastive_loss"].new_zeros(())
        rep = (
            c.contrastive_weight * parts["contrastive_loss"]
            + c.gaze_weight * parts["gaze_loss"]
            + c.image_cls_weight * parts["image_cls_loss"]
            + c.text_cls_weight * parts["text_cls_loss"]
        )
        parts["representation_loss"] = rep
        if out.report_loss is not None:
            parts["report_loss"] = out.report_loss
            parts["loss"] = rep + c.report_weight * out.report_loss
        else:
            parts["loss"] = rep
        return parts

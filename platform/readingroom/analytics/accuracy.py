"""Accuracy against a reference standard: sensitivity, specificity, AUROC, with bootstrap intervals over cases.

Pure numpy. ``truth`` is 0/1 per case; ``score`` is a reader's or a model's score per case (a binary call, an
ordinal confidence, or a probability); higher means "finding present".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Estimate", "auroc", "bootstrap", "roc_curve", "sensitivity", "specificity"]


def _binary(truth: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(truth)
    s = np.asarray(score, dtype=np.float64)
    if t.shape != s.shape or t.ndim != 1:
        raise ValueError(f"truth and score must be 1-D of one length, got {t.shape} and {s.shape}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("truth must hold only 0 (absent) and 1 (present)")
    if not np.isfinite(s).all():
        raise ValueError("score must be finite")
    return t.astype(bool), s


def auroc(truth: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting one half.

    NaN where the cases hold only one class.

    >>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    t, s = _binary(truth, score)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # Mann-Whitney U from mid-ranks (ties get their average rank)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size)
    sorted_s = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], s.size]
    mid = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(mid, ends - starts)
    u = ranks[t].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def sensitivity(truth: ArrayLike, call: ArrayLike) -> float:
    """True-positive fraction of binary calls (NaN without positives)."""
    t, c = _binary(truth, call)
    return float(c[t].astype(bool).mean()) if t.any() else float("nan")


def specificity(truth: ArrayLike, call: ArrayLike) -> float:
    """True-negative fraction of binary calls (NaN without negatives)."""
    t, c = _binary(truth, call)
    return float((~c[~t].astype(bool)).mean()) if (~t).any() else float("nan")


def roc_curve(truth: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false-positive fraction, true-positive fraction, thresholds) at each distinct score, from (0, 0)."""
    t, s = _binary(truth, score)
    thresholds = np.unique(s)[::-1]
    tpf = np.array([0.0, *((s[t][:, None] >= thresholds).mean(axis=0) if t.any() else thresholds * np.nan)])
    fpf = np.array(
        [0.0, *((s[~t][:, None] >= thresholds).mean(axis=0) if (~t).any() else thresholds * np.nan)]
    )
    return fpf, tpf, np.r_[np.inf, thresholds]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its percentile bootstrap interval (``level`` 0.95: the 2.5th to 97.5th percentile)."""

    value: float
    low: float
    high: float
    level: float
    resamples: int

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high, "ci_level": self.level}


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_cases: int,
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Estimate:
    """Percentile bootstrap over cases: ``statistic(indices)`` on the full set, and on resampled cases.

    ``statistic`` takes an array of case indices (with repeats) and returns a number; resamples where it is
    NaN (e.g. no positive case drawn) are left out of the interval.

    >>> truth, score = np.array([0, 0, 1, 1, 0, 1]), np.array([.2, .3, .6, .9, .7, .8])
    >>> est = bootstrap(lambda i: auroc(truth[i], score[i]), 6, resamples=500)
    >>> round(est.value, 3), est.low <= est.value <= est.high
    (0.889, True)
    """
    if n_cases < 1:
        raise ValueError("bootstrap: no cases")
    if not 0 < level < 1:
        raise ValueError(f"bootstrap: level must be between 0 and 1, got {level}")
    rng = np.random.default_rng(seed)
    value = float(statistic(np.arange(n_cases)))
    draws = np.array([statistic(rng.integers(0, n_cases, n_cases)) for _ in range(resamples)], dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return Estimate(value, float("nan"), float("nan"), level, 0)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return Estimate(value, float(low), float(high), level, int(draws.size))

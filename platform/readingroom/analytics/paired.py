"""Paired comparisons of two reading conditions (arms) over the same reads: time, accuracy, gaze measures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from readingroom.analytics.accuracy import bootstrap

__all__ = ["PairedDifference", "paired_difference"]


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``b - a`` over pairs with its t interval and a percentile bootstrap interval."""

    n: int
    mean_a: float
    mean_b: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    boot_low: float
    boot_high: float
    level: float


def paired_difference(a: ArrayLike, b: ArrayLike, *, level: float = 0.95, resamples: int = 2000,
                      seed: int = 0) -> PairedDifference:  # fmt: skip
    """Compare paired measurements (``a[k]`` and ``b[k]`` of the same reader and case): mean ``b - a``.

    Pairs with a NaN on either side are left out. The t interval and p-value are those of the paired t
    test; the bootstrap interval resamples pairs.

    >>> d = paired_difference([10.0, 12.0, 9.0, 11.0], [8.0, 11.0, 8.5, 9.0])
    >>> d.estimate, round(d.se, 4)
    (-1.375, 0.375)
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired_difference: a and b must be 1-D of one length, got {x.shape} and {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 2:
        raise ValueError(f"paired_difference: needs at least two complete pairs, got {n}")
    d = y - x
    estimate = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(n))
    q = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
    p = float(2 * stats.t.sf(abs(estimate) / se, n - 1)) if se > 0 else (1.0 if estimate == 0 else 0.0)
    boot = bootstrap(lambda i: float(d[i].mean()), n, resamples=resamples, level=level, seed=seed)
    return PairedDifference(n=n, mean_a=float(x.mean()), mean_b=float(y.mean()), estimate=estimate, se=se,
                            ci_low=estimate - q * se, ci_high=estimate + q * se, p_value=p, boot_low=boot.low,
                            boot_high=boot.high, level=level)  # fmt: skip

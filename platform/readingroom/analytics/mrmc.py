"""Multi-reader multi-case comparison of reading conditions: the Obuchowski-Rockette method.

Every reader reads every case in every condition (modality, here: study arm). The figure of merit (AUROC by
default) of reader ``j`` in condition ``i`` is ``theta[i, j]``. Its error covariances are estimated by the
jackknife over cases; the test of equal conditions and the intervals for their differences use the
Obuchowski-Rockette model with Hillis's (2007) denominator degrees of freedom:

    F = MS(T) / (MS(TR) + J * max(Cov2 - Cov3, 0)),   ddf = (MS(TR) + J max(Cov2 - Cov3, 0))^2 /
        (MS(TR)^2 / ((t - 1)(J - 1)))

and, for two conditions, the difference of their mean figures of merit has standard error
``sqrt(2 / J * (MS(TR) + J * max(Cov2 - Cov3, 0)))`` with ``ddf`` degrees of freedom. ``Cov1`` (same reader,
other condition), ``Cov2`` (other reader, same condition) and ``Cov3`` (other reader and condition) are the
averages of the jackknife covariances of each kind. Readers and cases are treated as random.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from readingroom.analytics.accuracy import auroc

__all__ = ["MrmcResult", "obuchowski_rockette"]


@dataclass(frozen=True)
class MrmcResult:
    """Figures of merit and the Obuchowski-Rockette test of equal conditions (random readers and cases)."""

    theta: np.ndarray  # (t, J) figure of merit per condition and reader
    condition_means: np.ndarray  # (t,)
    cov: dict[str, float]  # var (error variance), cov1, cov2, cov3 (jackknife)
    ms_t: float
    ms_tr: float
    f: float
    ddf: float
    p_value: float
    differences: list[dict] = field(default_factory=list)  # per pair of conditions: estimate, se, CI, p


def _jackknife(theta_fn: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray:
    """(n, t, J) figures of merit with each case left out in turn."""
    keep = np.ones(n, dtype=bool)
    out = []
    for k in range(n):
        keep[k] = False
        out.append(theta_fn(keep))
        keep[k] = True
    return np.stack(out)


def obuchowski_rockette(
    scores: ArrayLike,
    truth: ArrayLike,
    *,
    figure_of_merit: Callable[[np.ndarray, np.ndarray], float] = auroc,
    level: float = 0.95,
) -> MrmcResult:
    """Compare reading conditions with the OR method (Hillis degrees of freedom).

    Parameters
    ----------
    scores : array_like (t, J, n)
        Score of each condition ``t`` (at least 2), reader ``J`` (at least 2) and case ``n``.
    truth : array_like (n,)
        Reference standard, 0/1 per case (both present).
    figure_of_merit : callable(truth, score) -> float
        Default AUROC.
    level : float
        Confidence level of the intervals of the differences.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(truth)
    if s.ndim != 3 or s.shape[0] < 2 or s.shape[1] < 2:
        raise ValueError(f"scores must be (conditions >= 2, readers >= 2, cases), got shape {s.shape}")
    t, J, n = s.shape
    if y.shape != (n,) or not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise ValueError("truth must be 0/1 per case, with both classes present")

    def theta_of(mask: np.ndarray) -> np.ndarray:
        return np.array([[figure_of_merit(y[mask], s[i, j, mask]) for j in range(J)] for i in range(t)])

    theta = theta_of(np.ones(n, dtype=bool))
    jack = _jackknife(theta_of, n).reshape(n, t * J)
    dev = jack - jack.mean(axis=0)
    cov = (n - 1) / n * (dev.T @ dev)  # (tJ, tJ), index i * J + j
    same_t = np.equal.outer(np.repeat(np.arange(t), J), np.repeat(np.arange(t), J))
    same_r = np.equal.outer(np.tile(np.arange(J), t), np.tile(np.arange(J), t))
    var = float(np.mean(np.diag(cov)))
    cov1 = float(cov[~same_t & same_r].mean())
    cov2 = float(cov[same_t & ~same_r].mean())
    cov3 = float(cov[~same_t & ~same_r].mean())

    mean_t = theta.mean(axis=1)
    mean_r = theta.mean(axis=0)
    grand = theta.mean()
    ms_t = J * float(((mean_t - grand) ** 2).sum()) / (t - 1)
    ms_tr = float(((theta - mean_t[:, None] - mean_r[None, :] + grand) ** 2).sum()) / ((t - 1) * (J - 1))
    denominator = ms_tr + J * max(cov2 - cov3, 0.0)
    f = ms_t / denominator if denominator > 0 else float("inf")
    ddf = denominator**2 / (ms_tr**2 / ((t - 1) * (J - 1))) if ms_tr > 0 else float("inf")
    p_value = float(stats.f.sf(f, t - 1, ddf))
    se = float(np.sqrt(2.0 / J * denominator))
    quantile = float(stats.t.ppf(0.5 + level / 2.0, ddf))
    differences = []
    for a in range(t):
        for b in range(a + 1, t):
            diff = float(mean_t[a] - mean_t[b])
            p = float(2 * stats.t.sf(abs(diff) / se, ddf)) if se > 0 else (1.0 if diff == 0 else 0.0)
            differences.append({"conditions": (a, b), "estimate": diff, "se": se,
                                "ci_low": diff - quantile * se, "ci_high": diff + quantile * se,
                                "ci_level": level, "p_value": p})  # fmt: skip
    return MrmcResult(theta=theta, condition_means=mean_t,
                      cov={"var": var, "cov1": cov1, "cov2": cov2, "cov3": cov3}, ms_t=ms_t, ms_tr=ms_tr,
                      f=float(f), ddf=float(ddf), p_value=p_value, differences=differences)  # fmt: skip

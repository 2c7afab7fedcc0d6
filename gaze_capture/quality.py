"""Calibration validation: accuracy, precision and data loss per target and overall, and drift checks.

Angles use :meth:`gaze_capture.ScreenGeometry.angle_deg` (exact visual angle from the eye), so figures
are in degrees whatever the screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import EmptyInputError, ParameterError
from .geometry import ScreenGeometry
from .samples import Samples

__all__ = ["Target", "TargetQuality", "ValidationResult", "validate", "DriftResult", "drift_check"]


@dataclass(frozen=True)
class Target:
    """A validation target at screen pixel ``(x, y)``, shown from ``t_on_ms`` to ``t_off_ms`` (device ms)."""

    x: float
    y: float
    t_on_ms: float
    t_off_ms: float


@dataclass(frozen=True)
class TargetQuality:
    """Data quality at one target.

    Attributes
    ----------
    target : Target
    n_samples : int
        Samples in the analysis window (valid or not).
    accuracy_deg : float
        Angle between the mean gaze position and the target (NaN without valid samples).
    precision_rms_s2s_deg : float
        Root mean square of the angles between successive valid samples.
    precision_sd_deg : float
        Root of the summed variances of the horizontal and vertical angular positions.
    data_loss_pct : float
        Percentage of invalid samples in the window.
    """

    target: Target
    n_samples: int
    accuracy_deg: float
    precision_rms_s2s_deg: float
    precision_sd_deg: float
    data_loss_pct: float


@dataclass(frozen=True)
class ValidationResult:
    """Per-target figures and their means (NaN-ignoring; data loss pooled over all windows)."""

    targets: list[TargetQuality]
    accuracy_deg: float
    max_accuracy_deg: float
    precision_rms_s2s_deg: float
    precision_sd_deg: float
    data_loss_pct: float

    def passed(self, *, max_accuracy_deg: float = 1.0, max_data_loss_pct: float = 20.0) -> bool:
        """Whether mean accuracy and data loss are within the limits (degrees, percent)."""
        return bool(
            math.isfinite(self.accuracy_deg)
            and self.accuracy_deg <= max_accuracy_deg
            and self.data_loss_pct <= max_data_loss_pct
        )


def _angles_deg(geometry: ScreenGeometry, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical angular positions (degrees) of screen points, from the screen centre."""
    sx = geometry.width_mm / geometry.width_px
    sy = geometry.height_mm / geometry.height_px
    ax = np.degrees(np.arctan2((x - 0.5 * geometry.width_px) * sx, geometry.distance_mm))
    ay = np.degrees(np.arctan2((y - 0.5 * geometry.height_px) * sy, geometry.distance_mm))
    return ax, ay


def _target_quality(
    samples: Samples, target: Target, geometry: ScreenGeometry, skip_ms: float
) -> TargetQuality:
    t0 = target.t_on_ms + skip_ms
    sel = (samples.t_ms >= t0) & (samples.t_ms < target.t_off_ms)
    n = int(sel.sum())
    if n == 0:
        nan = float("nan")
        return TargetQuality(target, 0, nan, nan, nan, 100.0)
    v = samples.valid[sel]
    x, y = samples.x[sel][v], samples.y[sel][v]
    loss = 100.0 * float((~v).sum()) / n
    if x.size == 0:
        nan = float("nan")
        return TargetQuality(target, n, nan, nan, nan, loss)
    acc = float(geometry.angle_deg(x.mean(), y.mean(), target.x, target.y))
    if x.size > 1:
        s2s = geometry.angle_deg(x[:-1], y[:-1], x[1:], y[1:])
        rms = float(np.sqrt(np.mean(s2s**2)))
        ax, ay = _angles_deg(geometry, x, y)
        sd = float(np.sqrt(ax.var() + ay.var()))
    else:
        rms = sd = float("nan")
    return TargetQuality(target, n, acc, rms, sd, loss)


def validate(
    samples: Samples, targets: Sequence[Target], *, geometry: ScreenGeometry, skip_ms: float = 300.0
) -> ValidationResult:
    """Accuracy, precision and data loss for each validation target and overall.

    Parameters
    ----------
    samples : Samples
        Samples recorded during validation (screen pixels).
    targets : sequence of Target
        Targets with their display times on the samples' clock.
    geometry : ScreenGeometry
        The screen (for exact angles).
    skip_ms : float
        Time after each target's onset left out while the eye reaches it, ms.

    Returns
    -------
    ValidationResult

    Raises
    ------
    EmptyInputError
        No targets, or no samples in any target's window.

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples, ScreenGeometry
    >>> g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    >>> t = np.arange(0, 1000, 2.0)
    >>> s = Samples.from_arrays(t, np.full(t.size, 960.0 + g.ppd_x), np.full(t.size, 540.0))
    >>> r = validate(s, [Target(960, 540, 0, 1000)], geometry=g)
    >>> round(r.accuracy_deg, 2), r.data_loss_pct
    (1.0, 0.0)
    """
    if not targets:
        raise EmptyInputError("validate needs at least one target")
    if skip_ms < 0:
        raise ParameterError(f"skip_ms must be >= 0, got {skip_ms!r}")
    per = [_target_quality(samples, tg, geometry, skip_ms) for tg in targets]
    total = sum(q.n_samples for q in per)
    if total == 0:
        raise EmptyInputError("no samples fall inside any target's window")
    lost = sum(q.n_samples * q.data_loss_pct / 100.0 for q in per)
    acc = np.array([q.accuracy_deg for q in per])

    def nanmean(vals: list[float]) -> float:
        a = np.array(vals, dtype=float)
        return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")

    return ValidationResult(
        targets=per,
        accuracy_deg=nanmean(list(acc)),
        max_accuracy_deg=float(np.nanmax(acc)) if np.isfinite(acc).any() else float("nan"),
        precision_rms_s2s_deg=nanmean([q.precision_rms_s2s_deg for q in per]),
        precision_sd_deg=nanmean([q.precision_sd_deg for q in per]),
        data_loss_pct=100.0 * lost / total,
    )


@dataclass(frozen=True)
class DriftResult:
    """Offset (degrees) of the gaze from a drift-check target, and whether it is within the limit."""

    offset_deg: float
    dx_px: float
    dy_px: float
    passed: bool


def drift_check(
    samples: Samples,
    target: Target,
    *,
    geometry: ScreenGeometry,
    max_offset_deg: float = 1.5,
    skip_ms: float = 300.0,
) -> DriftResult:
    """Check the gaze on a single target against ``max_offset_deg`` (a failed check calls for recalibration).

    Returns the mean offset in degrees and in pixels (gaze minus target), which may also be used as a
    drift correction.
    """
    q = _target_quality(samples, target, geometry, skip_ms)
    if not math.isfinite(q.accuracy_deg):
        return DriftResult(float("nan"), float("nan"), float("nan"), False)
    sel = (samples.t_ms >= target.t_on_ms + skip_ms) & (samples.t_ms < target.t_off_ms) & samples.valid
    dx = float(samples.x[sel].mean() - target.x)
    dy = float(samples.y[sel].mean() - target.y)
    return DriftResult(q.accuracy_deg, dx, dy, q.accuracy_deg <= max_offset_deg)

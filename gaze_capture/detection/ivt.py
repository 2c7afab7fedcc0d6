"""I-VT: velocity-threshold identification of fixations."""

from __future__ import annotations

import numpy as np

from ..samples import Samples
from ._common import (
    EventLabel,
    RunMeans,
    Segmentation,
    check_positive,
    fixations_from_runs,
    labels_from_runs,
    merge_runs,
    nominal_interval_ms,
    run_mask,
    run_sums,
    runs,
    saccades_from_runs,
)
from ._registry import register_detector

__all__ = ["ivt"]


def _central_speed_sq(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared speed (px/ms)^2 from central differences, one-sided at the ends."""
    n = t.shape[0]
    out = np.empty(n)
    if n < 2:
        out[:] = 0.0
        return out
    if n >= 3:
        dx = x[2:] - x[:-2]
        dy = y[2:] - y[:-2]
        dtt = t[2:] - t[:-2]
        dx *= dx
        dy *= dy
        dx += dy
        dtt *= dtt
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(dx, dtt, out=out[1:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out[0] = ((x[1] - x[0]) ** 2 + (y[1] - y[0]) ** 2) / (t[1] - t[0]) ** 2
        out[-1] = ((x[-1] - x[-2]) ** 2 + (y[-1] - y[-2]) ** 2) / (t[-1] - t[-2]) ** 2
    return out


@register_detector("ivt")
def ivt(
    samples: Samples,
    *,
    pixels_per_degree: float,
    velocity_threshold_dps: float = 30.0,
    min_fixation_ms: float = 60.0,
    merge_gap_ms: float = 75.0,
    merge_distance_deg: float = 0.5,
    min_blink_ms: float = 75.0,
) -> Segmentation:
    """Velocity-threshold fixation identification.

    A valid sample whose angular speed (central difference) is below ``velocity_threshold_dps`` is a fixation
    sample; runs of fixation samples are fixations. Consecutive fixations separated by at most
    ``merge_gap_ms`` whose centres are within ``merge_distance_deg`` are merged (this also bridges short data
    loss); fixations shorter than ``min_fixation_ms`` are dropped. Runs of invalid samples of at least
    ``min_blink_ms`` are labelled blinks.

    Parameters
    ----------
    samples : Samples
        Raw samples.
    pixels_per_degree : float
        Pixels per degree of visual angle.
    velocity_threshold_dps : float
        Speed threshold in deg/s.
    min_fixation_ms, merge_gap_ms, min_blink_ms : float
        Durations in ms (0 disables merging / the minimum).
    merge_distance_deg : float
        Largest distance between merged fixation centres, in degrees.

    Returns
    -------
    Segmentation
        Labels (fixation, saccade, blink, unclassified), fixations and the above-threshold runs as saccades.

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples
    >>> t = np.arange(0, 600, 2.0)
    >>> s = Samples.from_arrays(t, np.where(t < 300, 0.0, 300.0), np.zeros_like(t))
    >>> seg = ivt(s, pixels_per_degree=30.0)
    >>> seg.fixations.duration_ms.tolist()
    [298.0, 298.0]
    """
    vt = check_positive("velocity_threshold_dps", velocity_threshold_dps)
    min_fix = check_positive("min_fixation_ms", min_fixation_ms, allow_zero=True)
    gap = check_positive("merge_gap_ms", merge_gap_ms, allow_zero=True)
    mdist = check_positive("merge_distance_deg", merge_distance_deg, allow_zero=True)
    min_blink = check_positive("min_blink_ms", min_blink_ms, allow_zero=True)
    dt = nominal_interval_ms(samples)
    ppd = check_positive("pixels_per_degree", pixels_per_degree)
    n = len(samples)
    # work in pixels and ms: compare squared displacements with the squared threshold (no sqrt per sample)
    speed2 = _central_speed_sq(samples.t_ms, samples.x, samples.y)  # (px/ms)^2
    # a lost sample has no position and so no speed, whatever its neighbours say (the central difference
    # at i reads only i-1 and i+1)
    lost = ~samples.valid
    np.copyto(speed2, np.nan, where=lost)
    vt_px_ms = vt * ppd / 1000.0
    with np.errstate(invalid="ignore"):
        slow = speed2 < vt_px_ms * vt_px_ms  # NaN compares False: invalid samples are never fixation samples
        fast = speed2 >= vt_px_ms * vt_px_ms
    starts, ends = runs(slow)
    means = RunMeans(samples)
    starts, ends = merge_runs(
        samples, starts, ends, dt, max_gap_ms=gap, max_distance_deg=mdist, pixels_per_degree=ppd, means=means
    )
    long_enough = (samples.t_ms[ends - 1] + dt - samples.t_ms[starts]) >= min_fix
    starts, ends = starts[long_enough], ends[long_enough]
    labels = fast.astype(np.int8)
    labels *= EventLabel.SACCADE  # 0 or SACCADE; cheaper than a masked assignment
    bs, be = runs(lost)
    keep = (samples.t_ms[be - 1] + dt - samples.t_ms[bs]) >= min_blink
    labels_from_runs(n, bs[keep], be[keep], EventLabel.BLINK, labels)
    # merged fixations may span a short loss; the lost samples inside stay unlabelled
    np.copyto(labels, EventLabel.FIXATION, where=run_mask(n, starts, ends) & samples.valid)
    ss, se = runs(fast)
    return Segmentation(
        labels=labels,
        fixations=fixations_from_runs(samples, starts, ends, dt, means),
        saccades=saccades_from_runs(
            samples,
            ss,
            se,
            dt,
            None,
            ppd,
            peak_dps=np.sqrt(run_sums(speed2, ss, se, np.fmax)) * (1000.0 / ppd),
        ),
    )

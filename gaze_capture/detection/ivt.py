"""I-VT: velocity-threshold identification of fixations."""

from __future__ import annotations

import numpy as np

from ..samples import Samples
from ._common import (
    EventLabel,
    Segmentation,
    central_velocity,
    check_positive,
    fixations_from_runs,
    labels_from_runs,
    merge_runs,
    nominal_interval_ms,
    runs,
    saccades_from_runs,
    to_degrees,
)
from ._registry import register_detector

__all__ = ["ivt"]


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
    xd, yd = to_degrees(samples, pixels_per_degree)
    speed = central_velocity(samples.t_ms, xd, yd)
    slow = speed < vt  # NaN compares False: invalid samples are never fixation samples
    starts, ends = runs(slow)
    starts, ends = merge_runs(
        samples, starts, ends, dt, max_gap_ms=gap, max_distance_deg=mdist, pixels_per_degree=pixels_per_degree
    )
    long_enough = (samples.t_ms[ends - 1] + dt - samples.t_ms[starts]) >= min_fix
    starts, ends = starts[long_enough], ends[long_enough]
    n = len(samples)
    labels = np.zeros(n, np.int8)
    fast = speed >= vt
    labels[fast] = EventLabel.SACCADE
    bs, be = runs(~samples.valid)
    keep = (samples.t_ms[be - 1] + dt - samples.t_ms[bs]) >= min_blink
    labels_from_runs(n, bs[keep], be[keep], EventLabel.BLINK, labels)
    labels_from_runs(n, starts, ends, EventLabel.FIXATION, labels)
    ss, se = runs(fast)
    return Segmentation(
        labels=labels,
        fixations=fixations_from_runs(samples, starts, ends, dt),
        saccades=saccades_from_runs(samples, ss, se, dt, speed, pixels_per_degree),
    )

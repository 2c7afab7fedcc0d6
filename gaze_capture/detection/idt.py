"""I-DT: dispersion-threshold identification of fixations."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from ..samples import Saccades, Samples
from ._common import (
    EventLabel,
    Segmentation,
    check_positive,
    fixations_from_runs,
    labels_from_runs,
    merge_runs,
    ms_to_samples,
    nominal_interval_ms,
    runs,
    to_degrees,
)
from ._registry import register_detector

__all__ = ["idt"]


@register_detector("idt")
def idt(
    samples: Samples,
    *,
    pixels_per_degree: float,
    dispersion_threshold_deg: float = 1.0,
    min_fixation_ms: float = 100.0,
    merge_gap_ms: float = 75.0,
    merge_distance_deg: float = 0.5,
    min_blink_ms: float = 75.0,
) -> Segmentation:
    """Dispersion-threshold fixation identification, vectorised.

    A window of ``min_fixation_ms`` is a fixation window when it holds no invalid sample and its
    dispersion ``(max x - min x) + (max y - min y)`` is at most ``dispersion_threshold_deg``; every sample
    covered by at least one fixation window is a fixation sample, and runs of them are fixations (the
    classic algorithm's window growth gives the same runs); two fixations that touch are split where no
    fixation window holds both neighbouring samples. Fixations are
    then merged and filtered as in :func:`gaze_capture.detection.ivt.ivt`.

    Parameters
    ----------
    samples : Samples
        Raw samples.
    pixels_per_degree : float
        Pixels per degree of visual angle.
    dispersion_threshold_deg : float
        Largest dispersion of a fixation window, degrees.
    min_fixation_ms : float
        Window length and so the minimum fixation duration, ms.
    merge_gap_ms, merge_distance_deg, min_blink_ms : float
        As for I-VT (ms, degrees, ms).

    Returns
    -------
    Segmentation
        Labels (fixation, saccade for other valid samples, blink), fixations; no saccade table.

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples
    >>> t = np.arange(0, 600, 2.0)
    >>> s = Samples.from_arrays(t, np.where(t < 300, 0.0, 300.0), np.zeros_like(t))
    >>> idt(s, pixels_per_degree=30.0).fixations.x.tolist()
    [0.0, 300.0]
    """
    disp = check_positive("dispersion_threshold_deg", dispersion_threshold_deg)
    min_fix = check_positive("min_fixation_ms", min_fixation_ms)
    gap = check_positive("merge_gap_ms", merge_gap_ms, allow_zero=True)
    mdist = check_positive("merge_distance_deg", merge_distance_deg, allow_zero=True)
    min_blink = check_positive("min_blink_ms", min_blink_ms, allow_zero=True)
    dt = nominal_interval_ms(samples)
    n = len(samples)
    w = min(ms_to_samples("min_fixation_ms", min_fix, dt, minimum=2), n)
    xd, yd = to_degrees(samples, pixels_per_degree)
    bad = ~samples.valid
    xf = np.where(bad, 0.0, xd)
    yf = np.where(bad, 0.0, yd)
    # a centred filter of size w at index c covers [c - w//2, c - w//2 + w): the window starting at i
    # is the filter output at c = i + w//2
    span = (maximum_filter1d(xf, w) - minimum_filter1d(xf, w)) + (
        maximum_filter1d(yf, w) - minimum_filter1d(yf, w)
    )
    cb = np.concatenate(([0], np.cumsum(bad)))
    starts = np.arange(n - w + 1)
    ok_start = (cb[starts + w] - cb[starts] == 0) & (span[starts + w // 2] <= disp)
    cover = np.zeros(n + 1, np.int32)
    ok_idx = starts[ok_start]
    cover[ok_idx] += 1  # window starts are distinct, and so are their ends: plain fancy increments suffice
    cover[ok_idx + w] -= 1
    fixmask = np.cumsum(cover[:-1]) > 0
    # samples j-1 and j belong to the same fixation only if one fixation window holds both
    ps = np.concatenate(([0], np.cumsum(ok_start), np.zeros(max(w - 1, 0), np.int64) + ok_start.sum()))
    j = np.arange(n)
    link = np.zeros(n, bool)
    link[1:] = (ps[j[1:]] - ps[np.maximum(j[1:] - w + 1, 0)]) > 0
    joined_left = np.concatenate(([False], fixmask[:-1])) & link
    fs = np.flatnonzero(fixmask & ~joined_left).astype(np.int64)
    fe = np.flatnonzero(fixmask & ~np.concatenate((joined_left[1:], [False]))).astype(np.int64) + 1
    fs, fe = merge_runs(
        samples, fs, fe, dt, max_gap_ms=gap, max_distance_deg=mdist, pixels_per_degree=pixels_per_degree
    )
    labels = np.where(samples.valid, np.int8(EventLabel.SACCADE), np.int8(0)).astype(np.int8)
    bs, be = runs(bad)
    keep = (samples.t_ms[be - 1] + dt - samples.t_ms[bs]) >= min_blink
    labels_from_runs(n, bs[keep], be[keep], EventLabel.BLINK, labels)
    labels_from_runs(n, fs, fe, EventLabel.FIXATION, labels)
    return Segmentation(
        labels=labels, fixations=fixations_from_runs(samples, fs, fe, dt), saccades=Saccades.empty()
    )

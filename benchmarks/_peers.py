"""The peers the detection benchmarks measure gaze_capture against, in the same run.

- :func:`numpy_ivt`: the plain numpy I-VT floor (sample-to-sample velocity, a fixed threshold, runs of slow
  samples as fixations with their mean positions); no merging, no blinks, no saccade table.
- :func:`remodnav_labels`: REMoDNaV (PyPI ``remodnav``, the ``bench`` extra) as per-sample
  :class:`~gaze_capture.EventLabel` codes, its smooth pursuit counted as fixation (the platform's stimuli are
  static images).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from gaze_capture import EventLabel, Samples


def numpy_ivt(samples: Samples, pixels_per_degree: float, threshold_dps: float = 30.0, min_ms: float = 60.0):
    """Per-sample fixation mask and (onset_ms, offset_ms, x, y) of each fixation.

    The leanest I-VT numpy allows: central-difference speeds (sample-to-sample ones at 1000 Hz turn 0.03 deg
    of noise into 30 deg/s), one comparison, runs by ``np.diff``, run means by cumulative sums.
    """
    t, x, y = samples.t_ms, samples.x, samples.y
    speed = np.hypot(x[2:] - x[:-2], y[2:] - y[:-2]) / (t[2:] - t[:-2]) * (1000.0 / pixels_per_degree)
    slow = np.zeros(t.size, bool)
    with np.errstate(invalid="ignore"):
        np.less(speed, threshold_dps, out=slow[1:-1])  # NaN (lost) is never slow
    slow &= samples.valid
    d = np.diff(slow.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    on, off = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = t[off - 1] - t[on] >= min_ms
    on, off = on[keep], off[keep]
    cx = np.concatenate(([0.0], np.cumsum(np.where(slow, x, 0.0))))
    cy = np.concatenate(([0.0], np.cumsum(np.where(slow, y, 0.0))))
    n = (off - on).astype(float)
    return slow, (t[on], t[off - 1], (cx[off] - cx[on]) / n, (cy[off] - cy[on]) / n)


_REMODNAV_CODES = {
    "FIXA": EventLabel.FIXATION,
    "PURS": EventLabel.FIXATION,  # pursuit counted as fixation on static images
    "SACC": EventLabel.SACCADE,
    "ISAC": EventLabel.SACCADE,
    "HPSO": EventLabel.PSO,
    "IHPS": EventLabel.PSO,
    "LPSO": EventLabel.PSO,
    "ILPS": EventLabel.PSO,
}


def remodnav_available() -> str | None:
    """REMoDNaV's version, or None when it is not installed."""
    try:
        from importlib.metadata import version

        import remodnav  # noqa: F401
    except ImportError:
        return None
    return version("remodnav")


def remodnav_labels(samples: Samples, pixels_per_degree: float, rate_hz: float, **params) -> np.ndarray:
    """REMoDNaV's events (default parameters) as per-sample codes; lost samples stay 0 (unclassified).

    It runs on the span from the first to the last 100 ms of uninterrupted valid data (samples outside stay
    0): current SciPy's Savitzky-Golay edge fit, which REMoDNaV's preprocessing uses, refuses NaN near the
    ends of the signal.
    """
    from remodnav.clf import EyegazeClassifier

    n = len(samples)
    out = np.zeros(n, np.int8)
    m = max(int(np.ceil(0.1 * rate_hz)), 3)
    ok = samples.valid.astype(np.int32)
    c = np.concatenate(([0], np.cumsum(ok)))
    full = np.flatnonzero(c[m:] - c[:-m] == m)  # windows [i, i + m) without a lost sample
    if full.size == 0:
        return out
    lo, hi = int(full[0]), int(full[-1]) + m
    data = np.rec.fromarrays([samples.x[lo:hi], samples.y[lo:hi]], names="x,y")
    logging.getLogger("remodnav").setLevel(logging.ERROR)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        clf = EyegazeClassifier(px2deg=1.0 / pixels_per_degree, sampling_rate=rate_hz, **params)
        # at low rates its 19 ms Savitzky-Golay window is under 3 samples, which SciPy refuses: 3 samples then
        pre = {"savgol_length": max(0.019, 3.0 / rate_hz)}
        events = clf(clf.preproc(data, **pre), classify_isp=True, sort_events=True)
    for ev in events:
        code = _REMODNAV_CODES.get(ev["label"])
        if code is not None:
            a = lo + int(round(ev["start_time"] * rate_hz))
            b = lo + int(round(ev["end_time"] * rate_hz))
            out[max(a, 0) : min(b, hi)] = code
    out[~samples.valid] = 0
    return out

"""AVT: adaptive velocity-threshold detection of fixations, saccades and PSOs on static stimuli.

The platform's default. The saccade thresholds come from each recording's own noise, as in the adaptive
velocity-threshold method of Nyström and Holmqvist (2010): the peak threshold is iterated as the centre plus
``peak_sd_factor`` spreads of the speeds below it, until it settles, and saccades grow from their peaks
down to the centre plus ``onset_sd_factor`` spreads (their 6 and 3). By default centre and spread are the
median and the scaled median absolute deviation rather than the mean and SD: the flanks of saccades and
PSOs that stay below the threshold inflate an SD (on a 300 Hz recording with 0.4 deg noise, to a threshold
of 130 deg/s where fixations stay below 55) but hardly move a median. A noisy remote tracker therefore gets
a higher threshold than a quiet tower-mounted one instead of having its jitter taken for saccades.

For static stimuli (radiographs) everything valid between saccades and post-saccadic oscillations (PSOs)
is fixation, slow drift and pursuit-like motion included. Lost samples are never fixation or saccade:
a run of lost data at least ``min_blink_ms`` long is a blink, a shorter one stays unclassified, and no
sample that was recorded is called a blink.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import savgol_coeffs

from ..errors import ParameterError
from ..samples import Samples
from ._common import (
    EventLabel,
    RunMeans,
    Segmentation,
    check_positive,
    fill_gaps,
    fixations_from_runs,
    grow_saccades,
    labels_from_runs,
    last_at_or_before,
    merge_runs,
    ms_to_samples,
    nominal_interval_ms,
    run_mask,
    runs,
    saccades_from_runs,
)
from ._registry import register_detector

__all__ = ["avt", "iterated_peak_threshold"]

F64 = NDArray[np.float64]
_ARTEFACT = -1  # working label of fast samples next to lost data (unclassified in the result)


def iterated_peak_threshold(
    speed: F64,
    *,
    start_dps: float,
    sd_factor: float,
    start_median_factor: float = 0.0,
    max_dps: float = 1000.0,
    bins: int = 16384,
    max_iter: int = 200,
    robust: bool = False,
) -> tuple[float, float, float]:
    """Iterate ``PT = mean + sd_factor * SD`` of the speeds below ``PT`` from ``start_dps`` until it settles.

    The threshold only falls from its start, so saccade samples above it never inflate the noise estimate.
    The start is ``start_dps`` or, on a noisy recording, ``start_median_factor`` times the median speed if
    that is higher (at most ``max_dps``): for pure noise mean + 6 SD is about 4.4 medians. The speeds are binned once
    (``bins`` bins below ``max_dps``); each iteration then costs a look-up in cumulative sums, not a pass
    over the samples.

    Parameters
    ----------
    speed : ndarray, deg/s
        Angular speeds; NaN (lost samples) are ignored.
    start_dps, sd_factor : float
        Start value (deg/s) and noise multiplier.
    start_median_factor : float
        Start at least this many median speeds above 0 (0: always at ``start_dps``).
    robust : bool
        Use the median and 1.4826 x the median absolute deviation of the speeds below the threshold
        instead of their mean and SD.

    Returns
    -------
    peak, centre, spread : float
        The settled threshold and the mean and SD (median and scaled MAD) of the speeds below it, deg/s.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = np.abs(rng.normal(0, 10, 100_000))  # noise only: about 8 +- 6 deg/s
    >>> pt, mean, sd = iterated_peak_threshold(v, start_dps=100.0, sd_factor=6.0)
    >>> bool(35 < pt < 45), round(mean), round(sd)
    (True, 8, 6)
    """
    width = max_dps / bins
    with np.errstate(invalid="ignore"):
        idx = speed * (1.0 / width)
    ok = idx < bins  # False for NaN and for speeds at or above the start value
    v = speed[ok]
    b = idx[ok].astype(np.intp)
    cnt = np.cumsum(np.bincount(b, minlength=bins))
    if not robust:  # sums for the mean and SD (the median and MAD need the counts only)
        s1 = np.cumsum(np.bincount(b, weights=v, minlength=bins))
        s2 = np.cumsum(np.bincount(b, weights=v * v, minlength=bins))
    total = cnt[-1] + int(np.count_nonzero(speed >= max_dps))
    start = start_dps
    if start_median_factor > 0 and total:
        median = (np.searchsorted(cnt, total / 2.0) + 0.5) * width
        start = max(start, start_median_factor * median)
    pt, mean, sd = float(min(start, max_dps)), 0.0, 0.0
    for _ in range(max_iter):
        k = min(int(pt / width), bins) - 1  # the last bin wholly below pt
        if k < 0 or cnt[k] < 10:
            break
        if robust:
            mean, sd = _median_and_mad_sd(cnt[: k + 1], width)
        else:
            mean = s1[k] / cnt[k]
            sd = float(np.sqrt(max(s2[k] / cnt[k] - mean * mean, 0.0)))
        new = min(mean + sd_factor * sd, pt)
        settled = pt - new < width
        pt = new
        if settled:
            break
    return float(pt), float(mean), float(sd)


def _median_and_mad_sd(cnt: NDArray[np.int64], width: float) -> tuple[float, float]:
    """Median and 1.4826 x median absolute deviation of binned values (``cnt``: cumulative counts)."""
    total = cnt[-1]
    m = int(np.searchsorted(cnt, total / 2.0))
    d = np.arange(cnt.size)
    hi = cnt[np.minimum(m + d, cnt.size - 1)]
    lo_idx = m - d - 1
    lo = np.where(lo_idx >= 0, cnt[np.maximum(lo_idx, 0)], 0)
    mad = int(np.argmax(hi - lo >= total / 2.0))
    return (m + 0.5) * width, 1.4826 * (mad + 0.5) * width


def _sg_speed(x: F64, y: F64, win: int, dt_ms: float) -> F64:
    """Speed (deg/s) from a Savitzky-Golay (order 2) first derivative of gap-filled positions (deg)."""
    c = savgol_coeffs(win, 2, deriv=1, delta=dt_ms * 1e-3, use="conv")
    half = win // 2
    # np.convolve is several times faster than scipy.ndimage here; the edge padding gives "nearest" ends
    vx = np.convolve(np.pad(x, half, mode="edge"), c, mode="valid")
    vy = np.convolve(np.pad(y, half, mode="edge"), c, mode="valid")
    vx *= vx
    vy *= vy
    vx += vy
    return np.sqrt(vx, out=vx)


@register_detector("avt")
def avt(
    samples: Samples,
    *,
    pixels_per_degree: float,
    smoothing_ms: float = 20.0,
    initial_peak_threshold_dps: float = 100.0,
    peak_sd_factor: float = 6.0,
    start_median_factor: float = 10.0,
    robust_noise: bool = True,
    onset_sd_factor: float = 3.0,
    min_saccade_ms: float = 10.0,
    offset_at_minimum: bool = True,
    max_pso_ms: float = 40.0,
    min_fixation_ms: float = 40.0,
    merge_gap_ms: float = 75.0,
    merge_distance_deg: float = 0.5,
    min_blink_ms: float = 75.0,
) -> Segmentation:
    """Label fixations, saccades, PSOs and blinks with thresholds adapted to the recording's noise.

    Parameters
    ----------
    samples : Samples
        Raw samples (screen pixels).
    pixels_per_degree : float
        Pixels per degree of visual angle.
    smoothing_ms : float
        Savitzky-Golay (order 2) window of the velocity, ms (at least 3 samples).
    initial_peak_threshold_dps, peak_sd_factor : float
        Start value (deg/s) and noise multiplier of the iterated saccade peak threshold (Nyström and
        Holmqvist: 100-300 deg/s and 6).
    start_median_factor : float
        On a noisy recording the iteration starts at this many median speeds instead, when that is higher.
    robust_noise : bool
        Noise centre and spread from the median and MAD (default) or, as in the original method, the mean
        and SD of the speeds below the threshold.
    onset_sd_factor : float
        Saccades grow from their peaks while the speed is at least the noise centre plus this many
        spreads (Nyström and Holmqvist: 3).
    min_saccade_ms : float
        Shorter saccade candidates are dropped (ms).
    offset_at_minimum : bool
        End a saccade at the first speed minimum after its peak (start it at the last one before) when
        that comes before the onset threshold is crossed: the rest belongs to the PSO.
    max_pso_ms : float
        A PSO is the part of the ``max_pso_ms`` after a saccade up to the last sample above the onset
        threshold (ms).
    min_fixation_ms : float
        Shorter fixations are dropped (their samples stay unclassified), ms.
    merge_gap_ms, merge_distance_deg : float
        Fixations at most ``merge_gap_ms`` apart (lost data between them) whose centres are within
        ``merge_distance_deg`` (lost data or a microsaccade between them) are one fixation in the table; the
        samples between keep their labels.
    min_blink_ms : float
        Runs of lost samples at least this long are blinks; shorter ones stay unclassified (ms).

    Returns
    -------
    Segmentation
        Per-sample labels (fixation, saccade, PSO, blink, unclassified), fixations and saccades.

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples, segment
    >>> t = np.arange(0, 800, 2.0)
    >>> x = 100 + 300 / (1 + np.exp(-(t - 400) / 6))  # a 10-degree saccade at 400 ms
    >>> x = x + np.random.default_rng(0).normal(0, 0.3, t.size)
    >>> seg = segment("avt", Samples.from_arrays(t, x, np.full_like(t, 300.0)), pixels_per_degree=30.0)
    >>> len(seg.fixations), len(seg.saccades), bool(9 < seg.saccades.amplitude_deg[0] < 11)
    (2, 1, True)
    """
    for name, val in (
        ("smoothing_ms", smoothing_ms),
        ("initial_peak_threshold_dps", initial_peak_threshold_dps),
        ("peak_sd_factor", peak_sd_factor),
        ("onset_sd_factor", onset_sd_factor),
    ):
        check_positive(name, val)
    for name, val in (
        ("min_saccade_ms", min_saccade_ms),
        ("max_pso_ms", max_pso_ms),
        ("min_fixation_ms", min_fixation_ms),
        ("merge_gap_ms", merge_gap_ms),
        ("merge_distance_deg", merge_distance_deg),
        ("min_blink_ms", min_blink_ms),
    ):
        check_positive(name, val, allow_zero=True)
    if onset_sd_factor > peak_sd_factor:
        raise ParameterError(
            f"onset_sd_factor ({onset_sd_factor}) must not exceed peak_sd_factor ({peak_sd_factor})"
        )
    ppd = check_positive("pixels_per_degree", pixels_per_degree)
    dt = nominal_interval_ms(samples)
    n = len(samples)
    valid = samples.valid
    lost = ~valid
    win = max(ms_to_samples("smoothing_ms", smoothing_ms, dt, minimum=3) | 1, 3)
    n_pso = int(round(max_pso_ms / dt))

    # speed of the gap-filled positions; lost samples get none
    inv = 1.0 / ppd
    if n >= win:
        speed = _sg_speed(fill_gaps(samples.x * inv, lost), fill_gaps(samples.y * inv, lost), win, dt)
        np.copyto(speed, np.nan, where=lost)
    else:
        speed = np.where(valid, 0.0, np.nan)
    peak_t, mean, sd = iterated_peak_threshold(
        speed,
        start_dps=initial_peak_threshold_dps,
        sd_factor=peak_sd_factor,
        start_median_factor=start_median_factor,
        robust=robust_noise,
    )
    onset_t = min(mean + onset_sd_factor * sd, peak_t)

    labels = np.zeros(n, np.int8)
    # saccades: each run above the peak threshold grows down to the onset threshold, never into lost data,
    # and ends at the first speed minimum after its peak (what follows is the PSO)
    ss, se = grow_saccades(speed, peak_t, onset_t, at_minimum=offset_at_minimum)
    if ss.size:
        keep = (samples.t_ms[se - 1] + dt - samples.t_ms[ss]) >= min_saccade_ms
        # a fast stretch that runs into lost data is the lid closing or opening around a blink (or an
        # interpolation artefact), not a measured eye movement: unclassified
        touches = lost[np.maximum(ss - 1, 0)] | lost[np.minimum(se, n - 1)]
        labels_from_runs(n, ss[touches], se[touches], _ARTEFACT, labels)
        keep &= ~touches
        ss, se = ss[keep], se[keep]
        labels_from_runs(n, ss, se, EventLabel.SACCADE, labels)
        if ss.size and n_pso > 0:
            # PSO: from the saccade's offset to the last sample above the onset threshold within max_pso_ms
            with np.errstate(invalid="ignore"):
                fast = np.flatnonzero(speed > onset_t)
            last = last_at_or_before(fast, np.minimum(se + n_pso, n) - 1)
            nxt = np.append(ss[1:], n)
            end = np.minimum(last + 1, nxt)
            has = end > se
            labels_from_runs(n, se[has], end[has], EventLabel.PSO, labels)
        labels[lost] = EventLabel.UNCLASSIFIED

    # lost data: a blink where the loss is long enough, otherwise unclassified
    bs, be = runs(lost)
    long_loss = (samples.t_ms[np.maximum(be - 1, 0)] + dt - samples.t_ms[bs]) >= min_blink_ms
    labels_from_runs(n, bs[long_loss], be[long_loss], EventLabel.BLINK, labels)

    # fixations: every other recorded sample (drift and pursuit-like motion on a static image included)
    fs, fe = runs((labels == EventLabel.UNCLASSIFIED) & valid)
    means = RunMeans(samples)
    fs, fe = merge_runs(
        samples,
        fs,
        fe,
        dt,
        max_gap_ms=merge_gap_ms,
        max_distance_deg=merge_distance_deg,
        pixels_per_degree=ppd,
        means=means,
    )
    long_fix = (samples.t_ms[fe - 1] + dt - samples.t_ms[fs]) >= min_fixation_ms
    fs, fe = fs[long_fix], fe[long_fix]
    labels[run_mask(n, fs, fe) & valid & (labels == EventLabel.UNCLASSIFIED)] = EventLabel.FIXATION
    labels[labels == _ARTEFACT] = EventLabel.UNCLASSIFIED
    return Segmentation(
        labels=labels,
        fixations=fixations_from_runs(samples, fs, fe, dt, means),
        saccades=saccades_from_runs(samples, ss, se, dt, speed, ppd),
    )

"""Adaptive detector: data-driven saccade thresholds, PSOs, blinks, and fixation vs smooth pursuit.

In the spirit of the adaptive velocity-threshold detector for saccades and glissades ("NH" in the Lund
2013 comparison) and of REMoDNaV: the saccade peak threshold is estimated from each recording's own noise,
saccade on- and offsets follow the velocity down to a lower threshold, a post-saccadic oscillation (PSO)
is a renewed velocity burst right after a saccade, and what remains between saccades is split into
fixation and smooth pursuit by the net speed and straightness of the gaze over a window that never
crosses a saccade, PSO or gap, where the surrounding seconds show that the target moves at all.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import savgol_filter

from ..errors import ParameterError
from ..samples import Samples
from ._common import (
    EventLabel,
    Segmentation,
    check_positive,
    fill_gaps,
    fixations_from_runs,
    grow_saccades,
    labels_from_runs,
    ms_to_samples,
    nominal_interval_ms,
    prev_true,
    runs,
    saccades_from_runs,
    to_degrees,
)
from ._registry import register_detector

__all__ = ["adaptive", "adaptive_peak_threshold", "smoothed_speed"]

F64 = NDArray[np.float64]
_ASIDE = -1  # working label of samples kept out of every event (unclassified in the result)


def adaptive_peak_threshold(
    speed: F64, *, start_dps: float, sd_factor: float, min_dps: float, max_dps: float, max_iter: int = 100
) -> tuple[float, float, float]:
    """Iterate ``PT = mean + sd_factor * SD`` of the speeds below PT until it settles (deg/s).

    Returns
    -------
    peak, mean, sd : float
        The peak threshold (clipped to ``[min_dps, max_dps]``) and the mean and SD of the sub-threshold
        speeds it came from.
    """
    v = speed[np.isfinite(speed)]
    pt = start_dps
    mean = sd = 0.0
    for _ in range(max_iter):
        below = v[v < pt]
        if below.size < 10:
            break
        mean, sd = float(below.mean()), float(below.std())
        # only ever lower the threshold: saccade samples above the start value must not inflate the noise
        new = min(mean + sd_factor * sd, pt)
        if abs(new - pt) < 0.1:
            pt = new
            break
        pt = new
    return float(np.clip(pt, min_dps, max_dps)), mean, sd


def smoothed_speed(samples: Samples, *, pixels_per_degree: float, smoothing_ms: float = 20.0) -> F64:
    """Angular speed (deg/s) from a Savitzky-Golay (order 2) derivative; NaN at invalid samples.

    Parameters
    ----------
    samples : Samples
    pixels_per_degree : float
    smoothing_ms : float
        Filter window, ms (at least 3 samples).
    """
    dt = nominal_interval_ms(samples)
    win = max(ms_to_samples("smoothing_ms", smoothing_ms, dt, minimum=3) | 1, 3)
    xd, yd = to_degrees(samples, pixels_per_degree)
    if len(samples) < win:
        return np.where(samples.valid, 0.0, np.nan)
    vx = savgol_filter(fill_gaps(xd), win, 2, deriv=1, delta=dt * 1e-3)
    vy = savgol_filter(fill_gaps(yd), win, 2, deriv=1, delta=dt * 1e-3)
    return np.where(samples.valid, np.hypot(vx, vy), np.nan)


@register_detector("adaptive")
def adaptive(
    samples: Samples,
    *,
    pixels_per_degree: float,
    smoothing_ms: float = 20.0,
    initial_peak_threshold_dps: float = 100.0,
    peak_sd_factor: float = 5.0,
    onset_sd_factor: float = 4.0,
    min_peak_threshold_dps: float = 40.0,
    max_peak_threshold_dps: float = 300.0,
    min_saccade_ms: float = 12.0,
    offset_at_minimum: bool = True,
    max_pso_ms: float = 40.0,
    pso_threshold_dps: float = 20.0,
    min_pso_ms: float = 0.0,
    blink_before_ms: float = 20.0,
    blink_after_ms: float = 40.0,
    min_blink_ms: float = 75.0,
    pursuit_window_ms: float = 300.0,
    pursuit_speed_dps: float = 1.5,
    position_median_ms: float = 10.0,
    min_pursuit_ms: float = 60.0,
    min_pursuit_interval_ms: float = 200.0,
    min_pursuit_straightness: float = 0.5,
    straightness_step_ms: float = 20.0,
    min_pursuit_share: float = 0.3,
    pursuit_context_ms: float = 10000.0,
    min_fixation_ms: float = 120.0,
) -> Segmentation:
    """Label fixations, saccades, PSOs, smooth pursuit and blinks with recording-adaptive thresholds.

    Parameters
    ----------
    samples : Samples
        Raw samples (screen pixels).
    pixels_per_degree : float
        Pixels per degree of visual angle.
    smoothing_ms : float
        Savitzky-Golay (order 2) window for position smoothing and velocity, ms.
    initial_peak_threshold_dps, peak_sd_factor, min_peak_threshold_dps, max_peak_threshold_dps : float
        Start value (deg/s), noise multiplier and clipping range of the iterated saccade peak threshold.
    onset_sd_factor : float
        Saccade on/offset threshold = noise mean + ``onset_sd_factor`` * noise SD (deg/s).
    min_saccade_ms : float
        Shorter saccade candidates are discarded (ms).
    offset_at_minimum : bool
        End a saccade at the first velocity minimum after its peak (start it at the last minimum before)
        when that comes before the threshold crossing.
    max_pso_ms, pso_threshold_dps, min_pso_ms : float
        A PSO is the part of the ``max_pso_ms`` after a saccade up to the last sample faster than
        ``pso_threshold_dps``; a detected PSO lasts at least ``min_pso_ms``.
    blink_before_ms, blink_after_ms : float
        Samples this long before and after lost data are left unclassified (ms): their velocity is
        interpolated across the loss, and the lid distorts the signal around a blink.
    min_blink_ms : float
        Runs of lost samples at least this long are blinks; shorter ones stay unclassified (ms).
    pursuit_window_ms : float
        Window (centred, shifted to stay between saccades, PSOs and gaps) over which the net gaze speed is
        measured (ms).
    min_pursuit_interval_ms : float
        Intervals between saccades shorter than this hold no pursuit (ms).
    min_pursuit_straightness, straightness_step_ms : float
        Pursuit also needs the path over the window to be straight: net displacement over path length
        (0..1) of positions averaged over ``straightness_step_ms``.
    min_pursuit_share, pursuit_context_ms : float
        Pursuit is only labelled where at least this share of the intersaccadic time within
        ``pursuit_context_ms`` around the sample looks like pursuit (a moving target); on static
        stimuli, such as radiographs, slow movements are then fixational drift. 0 disables the check.
    pursuit_speed_dps : float
        Net speed above which an intersaccadic sample is smooth pursuit (deg/s).
    position_median_ms : float
        Median filter applied to positions before the net speed, ms (0 disables).
    min_pursuit_ms, min_fixation_ms : float
        Pursuit runs shorter than ``min_pursuit_ms`` become fixation; fixation runs shorter than
        ``min_fixation_ms`` become pursuit when next to pursuit.

    Returns
    -------
    Segmentation
        Per-sample labels, fixations and saccades (with amplitude and peak velocity).

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples, segment
    >>> t = np.arange(0, 800, 2.0)
    >>> x = 100 + 300 / (1 + np.exp(-(t - 400) / 6))  # a 10-degree saccade at 400 ms
    >>> seg = segment("adaptive", Samples.from_arrays(t, x, np.full_like(t, 300.0)), pixels_per_degree=30.0)
    >>> len(seg.fixations), len(seg.saccades), bool(9 < seg.saccades.amplitude_deg[0] < 11)
    (2, 1, True)
    """
    for name, val in (
        ("smoothing_ms", smoothing_ms),
        ("initial_peak_threshold_dps", initial_peak_threshold_dps),
        ("peak_sd_factor", peak_sd_factor),
        ("onset_sd_factor", onset_sd_factor),
        ("min_peak_threshold_dps", min_peak_threshold_dps),
        ("max_peak_threshold_dps", max_peak_threshold_dps),
        ("pso_threshold_dps", pso_threshold_dps),
        ("pursuit_window_ms", pursuit_window_ms),
        ("pursuit_speed_dps", pursuit_speed_dps),
    ):
        check_positive(name, val)
    for name, val in (
        ("min_saccade_ms", min_saccade_ms),
        ("max_pso_ms", max_pso_ms),
        ("min_pso_ms", min_pso_ms),
        ("blink_before_ms", blink_before_ms),
        ("blink_after_ms", blink_after_ms),
        ("min_blink_ms", min_blink_ms),
        ("position_median_ms", position_median_ms),
        ("min_pursuit_ms", min_pursuit_ms),
        ("min_pursuit_interval_ms", min_pursuit_interval_ms),
        ("min_pursuit_straightness", min_pursuit_straightness),
        ("straightness_step_ms", straightness_step_ms),
        ("pursuit_context_ms", pursuit_context_ms),
        ("min_fixation_ms", min_fixation_ms),
        ("min_pursuit_share", min_pursuit_share),
    ):
        check_positive(name, val, allow_zero=True)
    if min_peak_threshold_dps > max_peak_threshold_dps:
        raise ParameterError("min_peak_threshold_dps must not exceed max_peak_threshold_dps")

    dt = nominal_interval_ms(samples)
    n = len(samples)
    # physical units -> samples, once
    sg_win = ms_to_samples("smoothing_ms", smoothing_ms, dt, minimum=3) | 1
    sg_win = max(sg_win, 3)
    n_before = int(round(blink_before_ms / dt))
    n_after = int(round(blink_after_ms / dt))
    n_pso = int(round(max_pso_ms / dt))
    n_pso_min = int(round(min_pso_ms / dt))
    n_half = max(int(round(0.5 * pursuit_window_ms / dt)), 1)
    n_med = int(round(position_median_ms / dt)) | 1
    n_span_min = max(int(round(min_pursuit_interval_ms / dt)), 1)

    xd, yd = to_degrees(samples, pixels_per_degree)
    lost = ~samples.valid
    xf, yf = fill_gaps(xd), fill_gaps(yd)
    if n >= sg_win:
        vx = savgol_filter(xf, sg_win, 2, deriv=1, delta=dt * 1e-3)
        vy = savgol_filter(yf, sg_win, 2, deriv=1, delta=dt * 1e-3)
        speed = np.hypot(vx, vy)
    else:
        speed = np.zeros(n)
    # samples near lost data: their velocity is an interpolation artefact
    near_gap = lost.copy()
    if lost.any() and (n_before > 0 or n_after > 0):
        ls, le = runs(lost)
        near_gap = labels_from_runs(n, np.maximum(ls - n_before, 0), np.minimum(le + n_after, n), 1).astype(
            bool
        )
    speed = np.where(near_gap, np.nan, speed)

    peak_t, mean, sd = adaptive_peak_threshold(
        speed,
        start_dps=initial_peak_threshold_dps,
        sd_factor=peak_sd_factor,
        min_dps=min_peak_threshold_dps,
        max_dps=max_peak_threshold_dps,
    )
    onset_t = min(mean + onset_sd_factor * sd, peak_t)

    labels = np.zeros(n, np.int8)
    # saccades: grow each supra-peak run down to the onset threshold (never into a gap)
    ss, se = grow_saccades(speed, peak_t, onset_t, at_minimum=offset_at_minimum)
    # a saccade touching lost data is part of the blink (lid closure), not an eye movement
    touch_gap = np.zeros(ss.size, bool)
    if ss.size:
        before = np.clip(ss - 1, 0, n - 1)
        after = np.clip(se, 0, n - 1)
        touch_gap = near_gap[before] | near_gap[after]
    dur = samples.t_ms[se - 1] + dt - samples.t_ms[ss]
    keep = (dur >= min_saccade_ms) & ~touch_gap
    blink_sacc_s, blink_sacc_e = ss[touch_gap], se[touch_gap]
    ss, se = ss[keep], se[keep]
    labels_from_runs(n, ss, se, EventLabel.SACCADE, labels)

    # PSOs: from saccade offset up to the last fast sample within max_pso_ms
    if ss.size and n_pso > 0:
        fast = speed > pso_threshold_dps
        prev_fast = prev_true(fast)
        win_end = np.minimum(se + n_pso, n)
        last = prev_fast[win_end - 1]
        # stop at the next saccade
        nxt_start = np.append(ss[1:], n)
        last = np.minimum(last, nxt_start - 1)
        has = last >= se
        end = np.minimum(np.maximum(last + 1, se + n_pso_min), np.minimum(nxt_start, n))
        labels_from_runs(n, se[has], end[has], EventLabel.PSO, labels)

    # lost data and its margins: only a long enough loss is a blink; the margins (velocity interpolated
    # across the loss) and saccades running into the loss (the lid) are kept out of every event
    gap_s, gap_e = runs(near_gap)
    labels_from_runs(n, gap_s, gap_e, _ASIDE, labels)
    labels_from_runs(n, blink_sacc_s, blink_sacc_e, _ASIDE, labels)
    bs, be = runs(lost)
    long_loss = (samples.t_ms[np.maximum(be - 1, 0)] + dt - samples.t_ms[bs]) >= min_blink_ms
    labels_from_runs(n, bs[long_loss], be[long_loss], EventLabel.BLINK, labels)

    # intersaccadic intervals: fixation vs pursuit by net speed within the interval
    free = labels == 0
    fs, fe = runs(free)
    if fs.size:
        x_med = xf if n_med <= 1 else median_filter(xf, n_med, mode="nearest")
        y_med = yf if n_med <= 1 else median_filter(yf, n_med, mode="nearest")
        run_id = np.cumsum(np.isin(np.arange(n), fs)) - 1
        lo = fs[np.clip(run_id, 0, None)]
        hi = fe[np.clip(run_id, 0, None)] - 1
        i = np.arange(n)
        # a window of 2*n_half samples, shifted (not shortened) to stay inside the interval where it fits
        a = np.clip(i - n_half, lo, np.maximum(lo, hi - 2 * n_half))
        b = np.minimum(a + 2 * n_half, hi)
        span = b - a
        with np.errstate(invalid="ignore", divide="ignore"):
            net = np.hypot(x_med[b] - x_med[a], y_med[b] - y_med[a]) / (
                (samples.t_ms[b] - samples.t_ms[a]) * 1e-3
            )
        # straightness: net displacement over the path length of lightly smoothed positions (steps of
        # ``straightness_step_ms``); pursuit follows a target along a smooth path, drift meanders
        step = max(int(round(straightness_step_ms / dt)), 1)
        xs = uniform_filter1d(x_med, step, mode="nearest")
        ys = uniform_filter1d(y_med, step, mode="nearest")
        seg_len = np.zeros(n)
        if n > step:
            seg_len[:-step] = np.hypot(xs[step:] - xs[:-step], ys[step:] - ys[:-step])
        c = np.concatenate(([0.0], np.cumsum(seg_len)))
        path = (c[np.maximum(b - step, a)] - c[a]) / step
        with np.errstate(invalid="ignore", divide="ignore"):
            straight = np.hypot(xs[b] - xs[a], ys[b] - ys[a]) / np.maximum(path, 1e-12)
        pursuit = (
            free & (span >= n_span_min) & (net > pursuit_speed_dps) & (straight > min_pursuit_straightness)
        )
        # context: smooth pursuit needs a moving target. Where only a small share of the intersaccadic time
        # around a sample (``pursuit_context_ms``) looks like pursuit, the stimulus is taken to be static
        # and the slow movements are fixational drift.
        if min_pursuit_share > 0 and pursuit.any():
            half = max(int(round(0.5 * pursuit_context_ms / dt)), 1)
            cp = np.concatenate(([0], np.cumsum(pursuit)))
            cf = np.concatenate(([0], np.cumsum(free)))
            lo_i = np.maximum(np.arange(n) - half, 0)
            hi_i = np.minimum(np.arange(n) + half + 1, n)
            share = (cp[hi_i] - cp[lo_i]) / np.maximum(cf[hi_i] - cf[lo_i], 1)
            pursuit &= share >= min_pursuit_share
        fixation = free & ~pursuit
        # short pursuit runs -> fixation; short fixation runs inside pursuit -> pursuit
        min_p = min_pursuit_ms / dt
        s_, e_ = runs(pursuit)
        short = (e_ - s_) < min_p
        labels_from_runs(n, s_[~short], e_[~short], EventLabel.PURSUIT, labels)
        fixation = fixation | labels_from_runs(n, s_[short], e_[short], 1).astype(bool)
        fixation &= free
        f_s, f_e = runs(fixation)
        labels_from_runs(n, f_s, f_e, EventLabel.FIXATION, labels)
        # a short fixation fragment next to pursuit is part of that pursuit (a pause in the estimate)
        short = (f_e - f_s) < (min_fixation_ms / dt)
        if short.any():
            s_, e_ = f_s[short], f_e[short]
            left = labels[np.maximum(s_ - 1, 0)] == EventLabel.PURSUIT
            right = labels[np.minimum(e_, n - 1)] == EventLabel.PURSUIT
            nb = left | right
            labels_from_runs(n, s_[nb], e_[nb], EventLabel.PURSUIT, labels)

    labels[labels == _ASIDE] = EventLabel.UNCLASSIFIED
    fix_s, fix_e = runs(labels == EventLabel.FIXATION)
    sac_s, sac_e = runs(labels == EventLabel.SACCADE)
    return Segmentation(
        labels=labels,
        fixations=fixations_from_runs(samples, fix_s, fix_e, dt),
        saccades=saccades_from_runs(samples, sac_s, sac_e, dt, speed, pixels_per_degree),
    )

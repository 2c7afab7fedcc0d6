"""A simulated reader: realistic raw gaze samples while reading an image with regions of interest.

Fixation durations are log-normal (right-skewed, a few hundred ms as in radiograph reading); saccades
follow the main sequence (peak velocity ``V = Vmax (1 - exp(-A / C))``) with a minimum-jerk profile whose
duration gives that peak; each saccade ends with a damped post-saccadic oscillation; blinks and short
dropouts lose data; white noise sets the precision (RMS sample-to-sample, degrees). The result carries
the true per-sample labels and events, so detectors can be scored on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .detection import EventLabel
from .errors import ParameterError
from .geometry import ScreenGeometry, View, image_to_screen
from .metrics import ROI
from .samples import Fixations, Saccades, Samples

__all__ = ["ReaderConfig", "SimulatedReading", "simulate_reading", "main_sequence_peak_velocity"]


@dataclass(frozen=True)
class ReaderConfig:
    """Parameters of the simulated reader (physical units)."""

    rate_hz: float = 1000.0  # sampling rate, 60 to 2000 Hz
    precision_rms_deg: float = 0.03  # RMS sample-to-sample noise, degrees
    fixation_median_ms: float = 260.0  # median fixation duration
    fixation_log_sd: float = 0.6  # log-normal shape: mean/median 1.2, as in the Lund image viewing data
    min_fixation_ms: float = 80.0
    drift_dps: float = 0.3  # mean fixational drift speed, deg/s
    roi_probability: float = 0.4  # chance that the next fixation lands in a region of interest
    saccade_median_deg: float = 4.0  # other fixations: a log-normal step from the current one
    saccade_log_sd: float = 0.6
    vmax_dps: float = 700.0  # main sequence asymptote, deg/s
    main_sequence_c_deg: float = 10.0  # main sequence constant, degrees
    pso_gain: float = 0.12  # PSO amplitude relative to the saccade amplitude
    pso_max_deg: float = 0.8
    pso_ms: float = 24.0  # PSO duration
    blink_rate_per_min: float = 12.0
    blink_median_ms: float = 150.0
    dropout_rate_per_s: float = 0.2  # short random losses of tracking
    dropout_ms: float = 15.0

    def __post_init__(self) -> None:
        if not 60.0 <= self.rate_hz <= 2000.0:
            raise ParameterError(f"rate_hz must be within 60..2000 Hz, got {self.rate_hz!r}")
        for name in (
            "precision_rms_deg",
            "drift_dps",
            "pso_gain",
            "blink_rate_per_min",
            "dropout_rate_per_s",
        ):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.roi_probability <= 1.0:
            raise ParameterError(f"roi_probability must be within 0..1, got {self.roi_probability!r}")


def main_sequence_peak_velocity(
    amplitude_deg: NDArray[np.float64] | float, cfg: ReaderConfig
) -> NDArray[np.float64]:
    """Peak saccade velocity (deg/s) for an amplitude (deg): ``Vmax (1 - exp(-A / C))``."""
    a = np.asarray(amplitude_deg, dtype=float)
    return cfg.vmax_dps * (1.0 - np.exp(-a / cfg.main_sequence_c_deg))


@dataclass(frozen=True, eq=False)
class SimulatedReading:
    """Output of :func:`simulate_reading`.

    Attributes
    ----------
    samples : Samples
        Raw samples in screen pixels (device clock from 0 ms).
    labels : ndarray of int8, shape (n,)
        True :class:`~gaze_capture.EventLabel` per sample.
    fixations : Fixations
        True fixations in screen pixels.
    fixations_image : Fixations
        The same in image pixels.
    saccades : Saccades
        True saccades (screen pixels; amplitude and peak velocity in degrees and deg/s).
    """

    samples: Samples
    labels: NDArray[np.int8]
    fixations: Fixations
    fixations_image: Fixations
    saccades: Saccades


def _pick_targets(
    rng: np.random.Generator,
    k: int,
    view: View,
    rois: Sequence[ROI],
    cfg: ReaderConfig,
    px_per_deg_img: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fixation targets in image pixels: ROI draws mixed with local steps of log-normal amplitude."""
    x0, y0, x1, y1 = view.visible_region()
    xs = np.empty(k)
    ys = np.empty(k)
    in_roi = rng.random(k) < (cfg.roi_probability if rois else 0.0)
    which = rng.integers(0, max(len(rois), 1), k)
    step = rng.lognormal(math.log(cfg.saccade_median_deg), cfg.saccade_log_sd, k) * px_per_deg_img
    ang = rng.uniform(0, 2 * np.pi, k)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    for i in range(k):
        if in_roi[i]:
            roi = rois[which[i]]
            if roi.box is not None:
                bx0, by0, bx1, by1 = roi.box
                cx = rng.uniform(max(bx0, x0), max(min(bx1, x1), max(bx0, x0)))
                cy = rng.uniform(max(by0, y0), max(min(by1, y1), max(by0, y0)))
            else:
                rr, cc = np.nonzero(roi.mask)
                if rr.size:
                    j = int(rng.integers(0, rr.size))
                    cx, cy = cc[j] + rng.random(), rr[j] + rng.random()
        elif i > 0:
            nx, ny = cx + step[i] * math.cos(ang[i]), cy + step[i] * math.sin(ang[i])
            # reflect steps that would leave the visible image
            cx = nx if x0 <= nx < x1 else cx - step[i] * math.cos(ang[i])
            cy = ny if y0 <= ny < y1 else cy - step[i] * math.sin(ang[i])
            cx = min(max(cx, x0), x1 - 1e-6)
            cy = min(max(cy, y0), y1 - 1e-6)
        xs[i], ys[i] = cx, cy
    return xs, ys


def _timeline(
    rng: np.random.Generator, k: int, view: View, rois: Sequence[ROI], cfg: ReaderConfig, ppd: float
) -> tuple[NDArray[np.float64], ...]:
    """``k`` fixations and the saccades between them: durations, targets, amplitudes and on/offsets (ms)."""
    fdur = np.maximum(
        rng.lognormal(math.log(cfg.fixation_median_ms), cfg.fixation_log_sd, k), cfg.min_fixation_ms
    )
    sxs, sys_ = view.scale
    tx, ty = _pick_targets(rng, k, view, rois, cfg, ppd * 0.5 * (sxs + sys_))
    sx, sy = image_to_screen(tx, ty, view)
    amp = np.hypot(np.diff(sx), np.diff(sy)) / ppd  # (k-1,) degrees
    vpk = main_sequence_peak_velocity(amp, cfg)
    # minimum-jerk profile: peak velocity = 1.875 A / D
    sdur = np.where(amp > 0, 1.875 * amp / np.maximum(vpk, 1e-9) * 1000.0, 0.0)
    # timeline: fix0, sac0 (+pso), fix1, ...
    fix_on = np.empty(k)
    fix_off = np.empty(k)
    cursor = 0.0
    for i in range(k):
        fix_on[i] = cursor
        cursor += fdur[i]
        fix_off[i] = cursor
        if i < k - 1:
            cursor += sdur[i]
    return fdur, tx, ty, sx, sy, amp, vpk, sdur, fix_on, fix_off


def simulate_reading(
    duration_ms: float,
    *,
    view: View,
    geometry: ScreenGeometry,
    rois: Sequence[ROI] = (),
    config: ReaderConfig | None = None,
    seed: int | None = 0,
) -> SimulatedReading:
    """Simulate a reader looking at the image shown by ``view`` for ``duration_ms``.

    Parameters
    ----------
    duration_ms : float
        Length of the recording, ms.
    view : View
        What is on screen (image region and screen rectangle); targets are drawn on the visible image.
    geometry : ScreenGeometry
        Screen (pixels per degree for noise, saccade speeds and drift).
    rois : sequence of ROI
        Regions (image pixels) that attract ``config.roi_probability`` of the fixations.
    config : ReaderConfig, optional
    seed : int, optional
        Random seed (reproducible by default).

    Returns
    -------
    SimulatedReading

    Examples
    --------
    >>> from gaze_capture import ScreenGeometry, View
    >>> g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    >>> v = View(0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000))
    >>> sim = simulate_reading(5000, view=v, geometry=g, config=ReaderConfig(rate_hz=250))
    >>> len(sim.samples), bool(len(sim.fixations) > 5)
    (1250, True)
    """
    cfg = config or ReaderConfig()
    if not duration_ms > 0:
        raise ParameterError(f"duration_ms must be > 0, got {duration_ms!r}")
    rng = np.random.default_rng(seed)
    ppd = geometry.pixels_per_degree
    dt = 1000.0 / cfg.rate_hz
    t = np.arange(0.0, duration_ms, dt)
    n = t.size

    # event sequence: enough fixations to fill the time; a rare run of short draws that ends before the
    # recording does is drawn again with twice as many fixations (every sample needs a fixation or a
    # saccade between two fixations)
    mean_fix = cfg.fixation_median_ms * math.exp(0.5 * cfg.fixation_log_sd**2)
    k = int(duration_ms / (mean_fix + 30.0) * 1.5) + 4
    while True:
        fdur, tx, ty, sx, sy, amp, vpk, sdur, fix_on, fix_off = _timeline(rng, k, view, rois, cfg, ppd)
        if fix_off[-1] >= duration_ms:
            break
        k *= 2
    pso_amp = np.minimum(cfg.pso_gain * amp, cfg.pso_max_deg) * ppd
    last = int(np.searchsorted(fix_on, duration_ms))  # fixations starting inside the recording
    drift_dir = rng.uniform(0, 2 * np.pi, k)
    drift = cfg.drift_dps * ppd * 1e-3  # px per ms

    x = np.empty(n)
    y = np.empty(n)
    labels = np.zeros(n, np.int8)
    # which segment each sample falls in: fixation i covers [fix_on[i], fix_off[i]), saccade i after it
    fi = np.clip(np.searchsorted(fix_on, t, side="right") - 1, 0, k - 1)
    in_fix = t < fix_off[fi]
    tau = t - fix_on[fi]
    x[in_fix] = sx[fi[in_fix]] + np.cos(drift_dir[fi[in_fix]]) * drift * tau[in_fix]
    y[in_fix] = sy[fi[in_fix]] + np.sin(drift_dir[fi[in_fix]]) * drift * tau[in_fix]
    labels[in_fix] = EventLabel.FIXATION
    sac = ~in_fix
    j = fi[sac]
    s = np.clip((t[sac] - fix_off[j]) / np.maximum(sdur[j], 1e-9), 0.0, 1.0)
    prof = 10 * s**3 - 15 * s**4 + 6 * s**5
    # the saccade starts where the drifting fixation ended
    ex = sx[j] + np.cos(drift_dir[j]) * drift * fdur[j]
    ey = sy[j] + np.sin(drift_dir[j]) * drift * fdur[j]
    x[sac] = ex + (sx[j + 1] - ex) * prof
    y[sac] = ey + (sy[j + 1] - ey) * prof
    labels[sac] = EventLabel.SACCADE
    # PSO: damped oscillation along the saccade direction at the start of the next fixation
    nxt = in_fix & (fi > 0) & (tau < cfg.pso_ms)
    if nxt.any():
        i = fi[nxt]
        ux = sx[i] - sx[i - 1]
        uy = sy[i] - sy[i - 1]
        norm = np.maximum(np.hypot(ux, uy), 1e-9)
        wob = (
            pso_amp[i - 1]
            * np.sin(2 * np.pi * tau[nxt] / (cfg.pso_ms * 0.9))
            * np.exp(-tau[nxt] / (cfg.pso_ms / 3))
        )
        x[nxt] += wob * ux / norm
        y[nxt] += wob * uy / norm
        labels[nxt] = np.where(pso_amp[i - 1] > 0.05 * ppd, EventLabel.PSO, labels[nxt])

    # noise: RMS-S2S of white noise with SD s per axis is 2 s
    sd_px = 0.5 * cfg.precision_rms_deg * ppd
    x += rng.normal(0.0, sd_px, n)
    y += rng.normal(0.0, sd_px, n)
    valid = np.ones(n, bool)
    # blinks start at the beginning of a fixation; dropouts anywhere
    n_blinks = rng.poisson(cfg.blink_rate_per_min * duration_ms / 60000.0)
    for _ in range(n_blinks):
        i = int(rng.integers(1, max(last, 2)))
        b0 = fix_on[min(i, k - 1)]
        b1 = b0 + rng.lognormal(math.log(cfg.blink_median_ms), 0.3)
        i0, i1 = np.searchsorted(t, [b0, b1])
        valid[i0:i1] = False
        labels[i0:i1] = EventLabel.BLINK
    n_drop = rng.poisson(cfg.dropout_rate_per_s * duration_ms / 1000.0)
    for d0 in rng.uniform(0, duration_ms, n_drop):
        i0, i1 = np.searchsorted(t, [d0, d0 + cfg.dropout_ms])
        valid[i0:i1] = False
        labels[i0:i1] = EventLabel.UNDEFINED
    samples = Samples.from_arrays(t, x, y, valid)

    m = min(last, k)
    f_on = fix_on[:m]
    f_off = np.minimum(fix_off[:m], duration_ms)
    fixations = Fixations(onset_ms=f_on, offset_ms=f_off, duration_ms=f_off - f_on, x=sx[:m], y=sy[:m])
    fixations_image = Fixations(onset_ms=f_on, offset_ms=f_off, duration_ms=f_off - f_on, x=tx[:m], y=ty[:m])
    ms = max(m - 1, 0)
    s_on = fix_off[:ms]
    keep = s_on < duration_ms
    s_on = s_on[keep]
    idx = np.flatnonzero(keep)
    saccades = Saccades(
        onset_ms=s_on,
        offset_ms=s_on + sdur[idx],
        duration_ms=sdur[idx],
        x0=sx[idx],
        y0=sy[idx],
        x1=sx[idx + 1],
        y1=sy[idx + 1],
        amplitude_deg=amp[idx],
        peak_velocity_dps=vpk[idx],
    )
    return SimulatedReading(samples, labels, fixations, fixations_image, saccades)

"""Simulated gaze for calibration, validation and drift-check targets (the simulated tracker's answer to a
validation screen).

Each target is shown for ``dwell_ms``; the eye stays on the previous target for ``latency_ms`` (the
saccade latency), then jumps to the target and fixates it with a systematic offset (``offset_deg``, the
tracker's accuracy error) and white noise. Noise of standard deviation ``s`` per axis gives an RMS
sample-to-sample distance of ``2 s``, so ``s = precision_rms_deg / 2``. A fraction ``data_loss`` of the
samples, chosen at random, is invalid (blinks, lost tracking). With the defaults (no offset, 0.03 degrees
precision, no loss) the result passes any sensible validation threshold; a large ``offset_deg`` or
``data_loss`` makes it fail, as a badly calibrated tracker does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ParameterError
from .geometry import ScreenGeometry
from .quality import Target
from .samples import Samples

__all__ = ["nine_point_targets", "simulate_validation"]


def nine_point_targets(geometry: ScreenGeometry, margin: float = 0.1) -> list[tuple[float, float]]:
    """The usual 3x3 grid of target positions (screen px), ``margin`` of the screen in from its edges.

    >>> nine_point_targets(ScreenGeometry(1000, 500, 500.0, 250.0, 600.0))[:2]
    [(100.0, 50.0), (500.0, 50.0)]
    """
    xs = [geometry.width_px * f for f in (margin, 0.5, 1.0 - margin)]
    ys = [geometry.height_px * f for f in (margin, 0.5, 1.0 - margin)]
    return [(float(x), float(y)) for y in ys for x in xs]


def simulate_validation(
    points: Sequence[tuple[float, float]],
    *,
    geometry: ScreenGeometry,
    rate_hz: float = 250.0,
    dwell_ms: float = 1500.0,
    latency_ms: float = 250.0,
    start_ms: float = 0.0,
    offset_deg: tuple[float, float] = (0.0, 0.0),  # degrees' worth of pixels at the screen centre
    precision_rms_deg: float = 0.03,
    data_loss: float = 0.0,
    seed: int | None = 0,
) -> tuple[Samples, list[Target]]:
    """Samples (screen px, device ms from ``start_ms``) of a reader looking at ``points`` in turn.

    Returns the samples and the :class:`~gaze_capture.quality.Target` list with the display times, ready for
    :func:`gaze_capture.quality.validate`.

    >>> g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    >>> from gaze_capture.quality import validate
    >>> s, t = simulate_validation(nine_point_targets(g), geometry=g)
    >>> validate(s, t, geometry=g).accuracy_deg < 0.1
    True
    """
    if not points:
        raise ParameterError("simulate_validation needs at least one point")
    if not 0.0 <= data_loss < 1.0:
        raise ParameterError(f"data_loss must be within [0, 1), got {data_loss!r}")
    if rate_hz <= 0 or dwell_ms <= 0 or not 0 <= latency_ms < dwell_ms:
        raise ParameterError("rate_hz and dwell_ms must be > 0 and 0 <= latency_ms < dwell_ms")
    rng = np.random.default_rng(seed)
    dt = 1000.0 / rate_hz
    per = int(round(dwell_ms / dt))
    t = start_ms + np.arange(per * len(points)) * dt
    x = np.empty_like(t)
    y = np.empty_like(t)
    dx, dy = offset_deg[0] * geometry.ppd_x, offset_deg[1] * geometry.ppd_y
    targets, previous = [], points[0]
    for k, (px, py) in enumerate(points):
        sl = slice(k * per, (k + 1) * per)
        t_on = start_ms + k * per * dt
        targets.append(Target(float(px), float(py), t_on, t_on + per * dt))
        reached = t[sl] >= t_on + latency_ms
        x[sl] = np.where(reached, px + dx, previous[0] + dx)
        y[sl] = np.where(reached, py + dy, previous[1] + dy)
        previous = (px, py)
    sd = precision_rms_deg / 2.0
    x += rng.normal(0.0, sd * geometry.ppd_x, t.size)
    y += rng.normal(0.0, sd * geometry.ppd_y, t.size)
    valid = rng.random(t.size) >= data_loss
    return Samples.from_arrays(t, np.where(valid, x, np.nan), np.where(valid, y, np.nan), valid), targets

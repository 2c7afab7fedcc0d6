"""Gaze and timing measures of one read (pure: fixations in image pixels in, numbers out).

Times are ms on the gaze clock; ``t0_ms`` is the image onset (the first view event, else the first fixation).
Coverage counts a region pixel as seen when it lies within ``COVERAGE_RADIUS_FRACTION`` of the image width of
a fixation (about 1 degree of visual angle for a radiograph shown some 40 cm wide at 65 cm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gaze_capture.metrics import ROI, coverage, roi_metrics, scanpath_length
from gaze_capture.samples import Fixations

from .regions import lung_fields

COVERAGE_RADIUS_FRACTION = 0.028


@dataclass(frozen=True)
class ReadGaze:
    """What one read's gaze measures need: its fixations (image px), the image shape and its regions."""

    onset_ms: np.ndarray
    duration_ms: np.ndarray
    x: np.ndarray
    y: np.ndarray
    image_shape: tuple[int, int]  # (H, W)
    regions: list[ROI] = field(default_factory=list)
    t0_ms: float | None = None


def gaze_measures(read: ReadGaze) -> dict:
    """Fixation count, scanpath length (image px), lung-field coverage and, per finding region, time to first
    fixation, dwell and fixation count (``regions`` maps the region name to those three).

    >>> r = ReadGaze(np.array([0.0, 300.0, 600.0]), np.array([250.0, 250.0, 300.0]), np.array([10.0, 80.0, 12.0]),
    ...              np.array([10.0, 10.0, 12.0]), (100, 100), [ROI("box", box=(0, 0, 50, 50))], t0_ms=-100.0)
    >>> m = gaze_measures(r)
    >>> m["fixation_count"], m["regions"]["box"]
    (3, {'time_to_first_fixation_ms': 100.0, 'dwell_ms': 550.0, 'fixation_count': 2})
    """
    n = int(read.onset_ms.size)
    finite = np.isfinite(read.x) & np.isfinite(read.y)
    fx = Fixations(onset_ms=read.onset_ms[finite], offset_ms=read.onset_ms[finite] + read.duration_ms[finite],
                   duration_ms=read.duration_ms[finite], x=read.x[finite], y=read.y[finite])  # fmt: skip
    out: dict = {"fixation_count": n, "scanpath_length_px": scanpath_length(fx) if n else 0.0}
    h, w = read.image_shape
    out["lung_coverage"] = (
        coverage(fx, lung_fields(read.image_shape), image_shape=(h, w), radius_px=COVERAGE_RADIUS_FRACTION * w)
        if len(fx) else 0.0
    )  # fmt: skip
    t0 = read.t0_ms if read.t0_ms is not None else (float(fx.onset_ms.min()) if len(fx) else 0.0)
    regions = {}
    if read.regions:
        if len(fx):
            metrics = roi_metrics(fx, read.regions, t0_ms=t0)
        for roi in read.regions:
            if not len(fx):
                regions[roi.name] = {
                    "time_to_first_fixation_ms": math.nan,
                    "dwell_ms": 0.0,
                    "fixation_count": 0,
                }
                continue
            m = metrics[roi.name]
            regions[roi.name] = {"time_to_first_fixation_ms": m.time_to_first_fixation_ms, "dwell_ms": m.dwell_ms,
                                 "fixation_count": m.fixation_count}  # fmt: skip
    out["regions"] = regions
    return out

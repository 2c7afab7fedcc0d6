"""Event tables from per-sample labels (a coder's, a simulator's or a detector's)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidSamplesError
from ..samples import Samples
from ._common import (
    EventLabel,
    Segmentation,
    fixations_from_runs,
    nominal_interval_ms,
    runs,
    saccades_from_runs,
)
from .adaptive import smoothed_speed

__all__ = ["events_from_labels"]


def events_from_labels(
    samples: Samples, labels: ArrayLike, *, pixels_per_degree: float, smoothing_ms: float = 20.0
) -> Segmentation:
    """Fixation and saccade tables from per-sample labels.

    Parameters
    ----------
    samples : Samples
    labels : array_like of int, shape (n,)
        :class:`EventLabel` codes.
    pixels_per_degree : float
    smoothing_ms : float
        Savitzky-Golay window for the saccades' peak velocity, ms.
    """
    lab = np.asarray(labels).astype(np.int8)
    if lab.shape != (len(samples),):
        raise InvalidSamplesError(
            f"labels must have shape ({len(samples)},), got {lab.shape}", field="labels"
        )
    dt = nominal_interval_ms(samples)
    speed = smoothed_speed(samples, pixels_per_degree=pixels_per_degree, smoothing_ms=smoothing_ms)
    fs, fe = runs(lab == EventLabel.FIXATION)
    ss, se = runs(lab == EventLabel.SACCADE)
    return Segmentation(
        labels=lab,
        fixations=fixations_from_runs(samples, fs, fe, dt),
        saccades=saccades_from_runs(samples, ss, se, dt, speed, pixels_per_degree),
    )

"""The detector registry: name -> function ``(samples, *, pixels_per_degree, **params) -> Segmentation``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ParameterError, UnknownNameError
from ..samples import Fixations, Samples
from ._common import Segmentation

__all__ = ["Detector", "register_detector", "detector_names", "segment", "detect"]

Detector = Callable[..., Segmentation]
_DETECTORS: dict[str, Detector] = {}


def register_detector(name: str) -> Callable[[Detector], Detector]:
    """Decorator registering a detector under ``name`` (lower case, unique)."""

    def deco(fn: Detector) -> Detector:
        key = name.lower()
        if key in _DETECTORS and _DETECTORS[key] is not fn:
            raise ParameterError(f"detector {name!r} is already registered")
        _DETECTORS[key] = fn
        return fn

    return deco


def detector_names() -> list[str]:
    """Names of all registered detectors, sorted."""
    return sorted(_DETECTORS)


def _get(method: str) -> Detector:
    try:
        return _DETECTORS[method.lower()]
    except KeyError:
        raise UnknownNameError(
            f"unknown detection method {method!r}; registered: {', '.join(detector_names())}"
        ) from None


def segment(method: str, samples: Samples, *, pixels_per_degree: float, **params: Any) -> Segmentation:
    """Run a registered detector and return per-sample labels with fixation and saccade tables.

    Parameters
    ----------
    method : str
        Registered name (see :func:`detector_names`), e.g. ``"ivt"``, ``"idt"``, ``"adaptive"``.
    samples : Samples
        Raw samples (screen pixels).
    pixels_per_degree : float
        Conversion of the samples' unit to degrees of visual angle.
    **params
        Detector parameters in physical units (deg/s, deg, ms); unknown names raise ``TypeError``.
    """
    if not isinstance(samples, Samples):
        raise ParameterError(f"samples must be a gaze_capture.Samples, got {type(samples).__name__}")
    return _get(method)(samples, pixels_per_degree=pixels_per_degree, **params)


def detect(method: str, samples: Samples, *, pixels_per_degree: float, **params: Any) -> Fixations:
    """Detect fixations with a registered method; see :func:`segment` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from gaze_capture import Samples, detect
    >>> t = np.arange(0, 1000, 2.0)
    >>> x = np.where(t < 500, 100.0, 400.0)
    >>> fx = detect("ivt", Samples.from_arrays(t, x, np.full_like(t, 300.0)), pixels_per_degree=30.0)
    >>> len(fx), fx.x.round().tolist()
    (2, [100.0, 400.0])
    """
    return segment(method, samples, pixels_per_degree=pixels_per_degree, **params).fixations

"""gaze_capture: device-agnostic gaze capture, fixation detection, gaze priors and standard formats.

Pure Python + numpy (+ scipy); never imports Django, Celery or the platform.

Modules: :mod:`~gaze_capture.samples` (columnar types), :mod:`~gaze_capture.geometry` (pixels per degree,
screen-to-image mapping), :mod:`~gaze_capture.detection` (AVT, the default; I-VT, I-DT, adaptive; registry),
:mod:`~gaze_capture.priors`, :mod:`~gaze_capture.quality` (validation accuracy/precision),
:mod:`~gaze_capture.metrics` (reading metrics), :mod:`~gaze_capture.formats` (REFLACX, EGD-CXR, BIDS,
Lund 2013), :mod:`~gaze_capture.simulate`, :mod:`~gaze_capture.devices`, :mod:`~gaze_capture.clock`,
:mod:`~gaze_capture.bridge` (``python -m gaze_capture.bridge``).

Examples
--------
From raw screen samples to a 37x37 patch prior (built at the stored resolution, see ``PRIOR_MAX_SIDE``):

>>> import numpy as np
>>> g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
>>> view = View(0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000))
>>> t = np.arange(0, 1200, 2.0)
>>> s = Samples.from_arrays(t, np.where(t < 600, 700.0, 1200.0), np.full(t.size, 500.0))
>>> fx = detect("avt", s, pixels_per_degree=g.pixels_per_degree)
>>> xi, yi, on, _ = map_to_image(fx.x, fx.y, fx.onset_ms, [view])
>>> prior = fixation_prior(xi, yi, fx.duration_ms, image_shape=(2000, 2000),
...                        sigma_px=sigma_image_px(g.pixels_per_degree, view), region=view.visible_region(),
...                        downsample=prior_downsample((2000, 2000)))
>>> pool_prior(prior, (37, 37), resize_to=518).shape
(37, 37)
"""

from .detection import EventLabel, Segmentation, detect, detector_names, register_detector, segment
from .devices.browser import samples_from_payload
from .errors import (
    DeviceDisconnectedError,
    DeviceError,
    DeviceUnavailableError,
    EmptyInputError,
    FormatError,
    GazeCaptureError,
    GeometryError,
    InvalidSamplesError,
    NonMonotonicTimeError,
    ParameterError,
    UnknownNameError,
)
from .geometry import ScreenGeometry, View, image_to_screen, map_fixations, map_samples, map_to_image
from .priors import (
    PRIOR_MAX_SIDE,
    aggregate_priors,
    fixation_prior,
    pool_prior,
    prior_downsample,
    sentence_priors,
    sigma_image_px,
)
from .samples import BinocularSamples, Fixations, Saccades, Samples

__all__ = [
    "Samples",
    "BinocularSamples",
    "samples_from_payload",
    "Fixations",
    "Saccades",
    "ScreenGeometry",
    "View",
    "map_to_image",
    "image_to_screen",
    "map_samples",
    "map_fixations",
    "detect",
    "segment",
    "detector_names",
    "register_detector",
    "EventLabel",
    "Segmentation",
    "fixation_prior",
    "prior_downsample",
    "PRIOR_MAX_SIDE",
    "pool_prior",
    "sentence_priors",
    "aggregate_priors",
    "sigma_image_px",
    "GazeCaptureError",
    "InvalidSamplesError",
    "NonMonotonicTimeError",
    "EmptyInputError",
    "GeometryError",
    "ParameterError",
    "UnknownNameError",
    "FormatError",
    "DeviceError",
    "DeviceDisconnectedError",
    "DeviceUnavailableError",
]

"""gaze_capture: device-agnostic gaze capture, fixation detection, gaze priors and standard formats.

Pure Python + numpy (+ scipy); never imports Django, Celery or the platform.
"""

from .detection import EventLabel, Segmentation, detect, detector_names, register_detector, segment
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
from .geometry import ScreenGeometry, View, image_to_screen, map_samples, map_to_image
from .priors import aggregate_priors, fixation_prior, pool_prior, sentence_priors, sigma_image_px
from .samples import BinocularSamples, Fixations, Saccades, Samples

__all__ = [
    "Samples",
    "BinocularSamples",
    "Fixations",
    "Saccades",
    "ScreenGeometry",
    "View",
    "map_to_image",
    "image_to_screen",
    "map_samples",
    "detect",
    "segment",
    "detector_names",
    "register_detector",
    "EventLabel",
    "Segmentation",
    "fixation_prior",
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

"""Event detection: I-VT, I-DT, AVT (the default for static stimuli) and an adaptive detector, by name.

Use :func:`detect` for fixations or :func:`segment` for per-sample labels plus fixation and saccade tables.
"""

from . import adaptive as _adaptive  # noqa: F401  (registers "adaptive")
from . import avt as _avt  # noqa: F401  (registers "avt")
from . import idt as _idt  # noqa: F401  (registers "idt")
from . import ivt as _ivt  # noqa: F401  (registers "ivt")
from ._common import EventLabel, Segmentation
from ._registry import detect, detector_names, register_detector, segment
from .labels import events_from_labels

__all__ = [
    "EventLabel",
    "Segmentation",
    "events_from_labels",
    "detect",
    "segment",
    "detector_names",
    "register_detector",
]

"""Device adapters behind one interface, registered by name.

``open_device(name, **options)`` with ``"simulator"``, ``"replay"``, ``"browser"``, ``"gazepoint"``,
``"tobii"``, ``"pupil_labs"`` or ``"eyelink"``. Vendor SDKs are imported only when an adapter connects.
"""

from . import browser, eyelink, gazepoint, pupil_labs, replay, simulator, tobii  # noqa: F401  (register adapters)
from .base import GazeDevice, device_class, device_names, open_device, register_device
from .browser import BrowserFeed, samples_from_payload
from .eyelink import EyeLinkDevice
from .gazepoint import GazepointDevice
from .pupil_labs import PupilLabsDevice
from .replay import ReplayDevice, load_recording
from .simulator import SimulatedDevice
from .tobii import TobiiDevice

__all__ = [
    "GazeDevice",
    "register_device",
    "open_device",
    "device_names",
    "device_class",
    "SimulatedDevice",
    "ReplayDevice",
    "load_recording",
    "BrowserFeed",
    "samples_from_payload",
    "GazepointDevice",
    "EyeLinkDevice",
    "TobiiDevice",
    "PupilLabsDevice",
]

"""The device adapter interface and its registry.

Every adapter: ``connect()``, ``calibrate()`` (where the device supports it), ``start()``, ``read()``
(a batch of new samples on the device clock, or ``None``), ``stop()``, ``close()``. Vendor SDKs are
imported inside ``connect()``, only when that adapter is chosen.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from ..errors import DeviceError, UnknownNameError
from ..samples import Samples

__all__ = ["GazeDevice", "register_device", "open_device", "device_names", "device_class"]

_DEVICES: dict[str, type[GazeDevice]] = {}


class GazeDevice(abc.ABC):
    """Base class of gaze device adapters.

    Subclasses set ``name`` and implement :meth:`_connect`, :meth:`_read`, and optionally
    :meth:`_start`, :meth:`_stop`, :meth:`_close`, :meth:`calibrate`. The base class enforces the order
    connect -> start -> read -> stop -> close and raises :class:`DeviceError` on misuse.
    """

    name: ClassVar[str] = ""
    #: True when ``read`` returns samples in screen pixels (False: normalised or camera coordinates)
    screen_pixels: ClassVar[bool] = True

    def __init__(self) -> None:
        self.connected = False
        self.streaming = False
        self.info: dict[str, Any] = {}

    @property
    def exhausted(self) -> bool:
        """True when a finite source (a file, a simulation) has nothing more to give; live devices: False."""
        return False

    # lifecycle ---------------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the connection (imports the vendor SDK when there is one)."""
        if not self.connected:
            self._connect()
            self.connected = True

    def start(self) -> None:
        """Start streaming samples."""
        self._require_connected("start")
        if not self.streaming:
            self._start()
            self.streaming = True

    def read(self, timeout_s: float = 0.1) -> Samples | None:
        """New samples since the last call (device clock), or ``None`` when none came within ``timeout_s``."""
        self._require_connected("read")
        if not self.streaming:
            raise DeviceError(f"{self.name}: read() before start()")
        return self._read(timeout_s)

    def stop(self) -> None:
        """Stop streaming (the connection stays open)."""
        if self.streaming:
            self._stop()
            self.streaming = False

    def close(self) -> None:
        """Stop and disconnect; safe to call twice."""
        try:
            self.stop()
        finally:
            if self.connected:
                self._close()
                self.connected = False

    def calibrate(self, points: Sequence[tuple[float, float]] | None = None) -> dict[str, Any]:
        """Run the device's own calibration on normalised screen points; not every device can."""
        raise DeviceError(f"{self.name}: this device has no calibration procedure; use gaze_capture.quality")

    def __enter__(self) -> GazeDevice:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_connected(self, what: str) -> None:
        if not self.connected:
            raise DeviceError(f"{self.name}: {what}() before connect()")

    # to implement --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def _connect(self) -> None: ...

    @abc.abstractmethod
    def _read(self, timeout_s: float) -> Samples | None: ...

    def _start(self) -> None:
        return None

    def _stop(self) -> None:
        return None

    def _close(self) -> None:
        return None


def register_device(name: str) -> Callable[[type[GazeDevice]], type[GazeDevice]]:
    """Class decorator registering an adapter under ``name``."""

    def deco(cls: type[GazeDevice]) -> type[GazeDevice]:
        cls.name = name
        _DEVICES[name] = cls
        return cls

    return deco


def device_names() -> list[str]:
    """Registered adapter names, sorted."""
    return sorted(_DEVICES)


def device_class(name: str) -> type[GazeDevice]:
    """The adapter class registered under ``name``."""
    try:
        return _DEVICES[name]
    except KeyError:
        raise UnknownNameError(f"unknown device {name!r}; registered: {', '.join(device_names())}") from None


def open_device(name: str, **options: Any) -> GazeDevice:
    """Instantiate the adapter ``name`` with its options (not yet connected)."""
    return device_class(name)(**options)

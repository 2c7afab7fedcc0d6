"""Pupil Labs trackers through their realtime network API (``pupil_labs.realtime_api.simple``, imported
when connecting). Gaze comes in scene-camera pixels with a Unix timestamp in seconds; pass ``to_screen``
(a function mapping scene-camera x, y arrays to screen pixels, e.g. from a screen surface tracker) to get
screen pixels."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DeviceDisconnectedError, DeviceError, DeviceUnavailableError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["PupilLabsDevice"]


@register_device("pupil_labs")
class PupilLabsDevice(GazeDevice):
    """Pupil Labs realtime API adapter.

    Parameters
    ----------
    address, port : optional
        Device address; default the first device discovered on the network.
    to_screen : callable, optional
        ``(x, y) -> (x_screen, y_screen)`` on arrays.
    max_batch : int
        Largest number of samples per ``read``.
    """

    screen_pixels = False

    def __init__(
        self,
        *,
        address: str | None = None,
        port: int = 8080,
        to_screen: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
        max_batch: int = 256,
    ) -> None:
        super().__init__()
        self.address, self.port, self.to_screen, self.max_batch = address, port, to_screen, max_batch
        self._device: Any = None
        if to_screen is not None:
            self.screen_pixels = True  # type: ignore[misc]

    def _connect(self) -> None:
        try:
            api = importlib.import_module("pupil_labs.realtime_api.simple")
        except ImportError as exc:
            raise DeviceUnavailableError("pupil_labs: pupil-labs-realtime-api is not installed") from exc
        try:
            self._device = api.Device(self.address, self.port) if self.address else api.discover_one_device()
        except Exception as exc:
            raise DeviceError(f"pupil_labs: cannot open device: {exc}") from exc
        if self._device is None:
            raise DeviceUnavailableError("pupil_labs: no device found")
        self.info = {"vendor": "Pupil Labs", "model": getattr(self._device, "phone_name", "")}

    def _read(self, timeout_s: float) -> Samples | None:
        rows = []
        deadline = time.monotonic() + timeout_s
        while len(rows) < self.max_batch:
            left = deadline - time.monotonic() if not rows else 0.0
            try:
                d = self._device.receive_gaze_datum(timeout_seconds=max(left, 0.0))
            except (ConnectionError, OSError) as exc:
                raise DeviceDisconnectedError(f"pupil_labs: connection lost: {exc}") from exc
            if d is None:
                break
            rows.append((d.timestamp_unix_seconds * 1000.0, d.x, d.y, bool(getattr(d, "worn", True))))
        if not rows:
            return None
        t, x, y, v = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
        if self.to_screen is not None:
            x, y = self.to_screen(x, y)
        return Samples.from_arrays(t, x, y, v.astype(bool))

    def _close(self) -> None:
        if self._device is not None:
            self._device.close()

"""SR Research EyeLink trackers through ``pylink`` (imported when connecting).

Samples are polled with ``getNextData()``/``getFloatData()`` while recording; ``getTime()`` is the
tracker clock in ms and gaze is in screen pixels (the display coordinates set on the tracker). Missing
data is ``pylink.MISSING_DATA``; the two eyes are averaged where both are recorded and valid.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DeviceDisconnectedError, DeviceError, DeviceUnavailableError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["EyeLinkDevice"]


@register_device("eyelink")
class EyeLinkDevice(GazeDevice):
    """EyeLink adapter.

    Parameters
    ----------
    address : str
        Host PC address (``"100.1.1.1"`` by default); ``None`` opens pylink's dummy connection.
    sample_rate_hz : int, optional
        Sent as ``sample_rate`` when given.
    max_batch : int
        Largest number of samples per ``read``.
    """

    def __init__(
        self, *, address: str | None = "100.1.1.1", sample_rate_hz: int | None = None, max_batch: int = 2000
    ) -> None:
        super().__init__()
        self.address, self.sample_rate_hz, self.max_batch = address, sample_rate_hz, max_batch
        self._pl: Any = None
        self._tk: Any = None
        self._last_time = -math.inf

    def _connect(self) -> None:
        try:
            self._pl = importlib.import_module("pylink")
        except ImportError as exc:
            raise DeviceUnavailableError("eyelink: pylink (SR Research) is not installed") from exc
        try:
            self._tk = self._pl.EyeLink(self.address)
        except Exception as exc:
            raise DeviceError(f"eyelink: cannot connect to {self.address}: {exc}") from exc
        if self.sample_rate_hz:
            self._tk.sendCommand(f"sample_rate {int(self.sample_rate_hz)}")
        self._tk.sendCommand("link_sample_data = LEFT,RIGHT,GAZE,AREA,STATUS")
        self.info = {"vendor": "SR Research", "model": "EyeLink", "address": self.address}

    def _start(self) -> None:
        err = self._tk.startRecording(1, 1, 1, 1)
        if err:
            raise DeviceError(f"eyelink: startRecording failed with code {err}")

    def _stop(self) -> None:
        self._tk.stopRecording()

    def _close(self) -> None:
        self._tk.close()

    def _eye(self, sample: Any, which: str) -> tuple[float, float, float] | None:
        has = getattr(sample, f"is{which}Sample")()
        if not has:
            return None
        eye = getattr(sample, f"get{which}Eye")()
        x, y = eye.getGaze()
        missing = self._pl.MISSING_DATA
        if x == missing or y == missing or not (math.isfinite(x) and math.isfinite(y)):
            return None
        return float(x), float(y), float(eye.getPupilSize())

    def _read(self, timeout_s: float) -> Samples | None:
        pl, tk = self._pl, self._tk
        rows = []
        deadline = time.monotonic() + timeout_s
        while len(rows) < self.max_batch:
            if not tk.isConnected():
                raise DeviceDisconnectedError("eyelink: the tracker connection was lost")
            kind = tk.getNextData()
            if not kind:
                if rows or time.monotonic() >= deadline:
                    break
                time.sleep(0.001)
                continue
            if kind != pl.SAMPLE_TYPE:
                continue
            s = tk.getFloatData()
            t = float(s.getTime())
            if t <= self._last_time:
                continue  # the link can repeat a sample
            self._last_time = t
            eyes = [e for e in (self._eye(s, "Left"), self._eye(s, "Right")) if e is not None]
            if eyes:
                rows.append(
                    (
                        t,
                        np.mean([e[0] for e in eyes]),
                        np.mean([e[1] for e in eyes]),
                        True,
                        np.mean([e[2] for e in eyes]),
                    )
                )
            else:
                rows.append((t, np.nan, np.nan, False, np.nan))
        if not rows:
            return None
        t, x, y, v, p = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
        return Samples.from_arrays(t, x, y, v.astype(bool), p)

    def calibrate(self, points: Sequence[tuple[float, float]] | None = None) -> dict[str, Any]:
        """Run the tracker's own setup (camera, calibration, validation) screens."""
        self._require_connected("calibrate")
        self._tk.doTrackerSetup()
        return {"status": "done"}

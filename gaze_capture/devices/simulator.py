"""A simulated eye tracker streaming :func:`gaze_capture.simulate.simulate_reading` samples."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DeviceDisconnectedError
from ..geometry import ScreenGeometry, View
from ..metrics import ROI
from ..samples import Samples
from ..simulate import ReaderConfig, simulate_reading
from .base import GazeDevice, register_device

__all__ = ["SimulatedDevice"]

_DEFAULT_GEOMETRY = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)


@register_device("simulator")
class SimulatedDevice(GazeDevice):
    """Streams a simulated reading in batches.

    Parameters
    ----------
    duration_ms : float
        Length of the simulated recording.
    rate_hz : float
        Sampling rate (60 to 2000 Hz).
    batch_ms : float
        Device time per batch.
    realtime : bool
        Pace batches at wall-clock speed (demos); False returns them as fast as they are read (tests).
    clock_offset_ms : float
        Device clock at the start of the recording (device clocks are not the host's).
    disconnect_after_ms : float, optional
        Simulate the device going away after this much device time (raises on the next read).
    view, geometry, rois, config, seed
        As for :func:`gaze_capture.simulate.simulate_reading`; the view defaults to a 2000x2000 image
        fitted to the screen.
    """

    def __init__(
        self,
        *,
        duration_ms: float = 60000.0,
        rate_hz: float = 250.0,
        batch_ms: float = 100.0,
        realtime: bool = False,
        clock_offset_ms: float = 0.0,
        disconnect_after_ms: float | None = None,
        view: View | None = None,
        geometry: ScreenGeometry | None = None,
        rois: Sequence[ROI] = (),
        config: ReaderConfig | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        self.geometry = geometry or _DEFAULT_GEOMETRY
        g = self.geometry
        side = min(g.width_px, g.height_px)
        x0 = 0.5 * (g.width_px - side)
        self.view = view or View(0.0, (0, 0, 2000, 2000), (x0, 0, x0 + side, side), (2000, 2000))
        self._opts: dict[str, Any] = dict(duration_ms=duration_ms, rois=rois, seed=seed)
        self.config = config or ReaderConfig(rate_hz=rate_hz)
        self.batch_ms = float(batch_ms)
        self.realtime = realtime
        self.clock_offset_ms = float(clock_offset_ms)
        self.disconnect_after_ms = disconnect_after_ms
        self._data: Samples | None = None
        self._pos = 0
        self._t_start = 0.0

    def _connect(self) -> None:
        sim = simulate_reading(
            self._opts["duration_ms"],
            view=self.view,
            geometry=self.geometry,
            rois=self._opts["rois"],
            config=self.config,
            seed=self._opts["seed"],
        )
        s = sim.samples
        self.truth = sim
        self._data = Samples(s.t_ms + self.clock_offset_ms, s.x, s.y, s.valid, s.pupil)
        self.info = {"vendor": "gaze_capture", "model": "simulator", "rate_hz": self.config.rate_hz}

    def _start(self) -> None:
        self._t_start = time.monotonic()

    @property
    def exhausted(self) -> bool:
        """Whether every sample has been read."""
        return self._data is not None and self._pos >= len(self._data)

    def _read(self, timeout_s: float) -> Samples | None:
        assert self._data is not None
        data = self._data
        if self._pos >= len(data):
            return None
        t0 = float(data.t_ms[0])
        if self.realtime:
            horizon = t0 + (time.monotonic() - self._t_start) * 1000.0
            if data.t_ms[self._pos] > horizon:
                time.sleep(min(timeout_s, (data.t_ms[self._pos] - horizon) / 1000.0))
                horizon = t0 + (time.monotonic() - self._t_start) * 1000.0
        else:
            horizon = float(data.t_ms[self._pos]) + self.batch_ms - 1e-9
        if self.disconnect_after_ms is not None and horizon - t0 >= self.disconnect_after_ms:
            raise DeviceDisconnectedError(f"simulator: device disconnected at {self.disconnect_after_ms} ms")
        end = int(np.searchsorted(data.t_ms, horizon, side="right"))
        if end <= self._pos:
            return None
        keep = np.zeros(len(data), bool)
        keep[self._pos : end] = True
        self._pos = end
        return data.mask(keep)

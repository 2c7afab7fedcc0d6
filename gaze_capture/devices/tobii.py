"""Tobii Pro trackers through the Tobii Pro SDK (``tobii_research``, imported when connecting).

Gaze arrives in the SDK's callback thread as dictionaries with ``device_time_stamp`` and
``system_time_stamp`` (microseconds, device and host clocks), per-eye ``*_gaze_point_on_display_area``
(normalised 0..1) with validity, and pupil diameters (mm); the two eyes are averaged where both are valid.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DeviceError, DeviceUnavailableError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["TobiiDevice"]


@register_device("tobii")
class TobiiDevice(GazeDevice):
    """Tobii Pro SDK adapter.

    Parameters
    ----------
    address : str, optional
        Tracker address; default the first tracker found.
    screen_size : (width_px, height_px)
        Display resolution used to convert normalised positions to pixels.
    """

    def __init__(self, *, address: str | None = None, screen_size: tuple[int, int] = (1920, 1080)) -> None:
        super().__init__()
        self.address = address
        self.screen_size = screen_size
        self._tr: Any = None
        self._tracker: Any = None
        self._lock = threading.Lock()
        self._rows: list[tuple[float, float, float, bool, float, float]] = []
        self._event = threading.Event()

    def _connect(self) -> None:
        try:
            self._tr = importlib.import_module("tobii_research")
        except ImportError as exc:
            raise DeviceUnavailableError(
                "tobii: the Tobii Pro SDK (tobii_research) is not installed"
            ) from exc
        try:
            if self.address:
                self._tracker = self._tr.EyeTracker(self.address)
            else:
                found = self._tr.find_all_eyetrackers()
                if not found:
                    raise DeviceUnavailableError("tobii: no eye tracker found")
                self._tracker = found[0]
        except DeviceUnavailableError:
            raise
        except Exception as exc:
            raise DeviceError(f"tobii: cannot open tracker: {exc}") from exc
        t = self._tracker
        self.info = {
            "vendor": "Tobii",
            "model": getattr(t, "model", ""),
            "serial": getattr(t, "serial_number", ""),
            "rate_hz": getattr(t, "get_gaze_output_frequency", lambda: None)(),
        }

    def _on_gaze(self, g: dict[str, Any]) -> None:
        pts = []
        for eye in ("left", "right"):
            if g.get(f"{eye}_gaze_point_validity"):
                pts.append(g[f"{eye}_gaze_point_on_display_area"])
        valid = bool(pts)
        x, y = (
            (float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts])))
            if pts
            else (np.nan, np.nan)
        )
        pup = [g.get(f"{e}_pupil_diameter") for e in ("left", "right") if g.get(f"{e}_pupil_validity")]
        pupil = float(np.mean(pup)) if pup else np.nan
        row = (g["device_time_stamp"] / 1000.0, x, y, valid, pupil, g["system_time_stamp"] / 1000.0)
        with self._lock:
            self._rows.append(row)
        self._event.set()

    def _start(self) -> None:
        self._tracker.subscribe_to(self._tr.EYETRACKER_GAZE_DATA, self._on_gaze, as_dictionary=True)

    def _stop(self) -> None:
        self._tracker.unsubscribe_from(self._tr.EYETRACKER_GAZE_DATA, self._on_gaze)

    def _read(self, timeout_s: float) -> Samples | None:
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                rows, self._rows = self._rows, []
                self._event.clear()
            if rows:
                break
            left = deadline - time.monotonic()
            if left <= 0 or not self._event.wait(left):
                return None
        t, x, y, v, pupil, host = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
        w, h = self.screen_size
        return Samples.from_arrays(t, x * w, y * h, v.astype(bool), pupil, host_t_ms=host)

    def calibrate(self, points: Sequence[tuple[float, float]] | None = None) -> dict[str, Any]:
        """Screen-based calibration on normalised points (default 5 points); returns the SDK's status."""
        self._require_connected("calibrate")
        pts = list(points or [(0.5, 0.5), (0.1, 0.1), (0.1, 0.9), (0.9, 0.1), (0.9, 0.9)])
        cal = self._tr.ScreenBasedCalibration(self._tracker)
        cal.enter_calibration_mode()
        try:
            for px, py in pts:
                cal.collect_data(px, py)
            result = cal.compute_and_apply()
        finally:
            cal.leave_calibration_mode()
        return {
            "status": str(getattr(result, "status", result)),
            "points": len(getattr(result, "calibration_points", [])),
        }

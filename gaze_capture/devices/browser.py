"""Samples fed by the browser (the frontend's webcam tracker or its simulator).

The frontend posts batches shaped like the platform's WebSocket ``gaze_batch`` payload:
``{"t": [ms device time], "x": [...], "y": [...], "valid": [...]}`` in screen (CSS) pixels; :meth:`push`
validates them and :meth:`read` hands them out in order.
"""

from __future__ import annotations

import queue
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidSamplesError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["BrowserFeed", "samples_from_payload"]


def samples_from_payload(payload: Mapping[str, Any]) -> Samples:
    """Validate a ``{"t", "x", "y", "valid"?}`` payload into :class:`Samples` (``None`` positions invalid)."""
    missing = [k for k in ("t", "x", "y") if k not in payload]
    if missing:
        raise InvalidSamplesError(f"batch lacks field(s) {missing}")
    x = [float("nan") if v is None else v for v in payload["x"]]
    y = [float("nan") if v is None else v for v in payload["y"]]
    return Samples.from_arrays(payload["t"], x, y, payload.get("valid"))


@register_device("browser")
class BrowserFeed(GazeDevice):
    """A device whose samples are pushed in by the host application (e.g. from the browser)."""

    def __init__(self, *, max_batches: int = 10000) -> None:
        super().__init__()
        self._q: queue.Queue[Samples | None] = queue.Queue(maxsize=max_batches)
        self._last_t = float("-inf")

    def push(self, payload: Mapping[str, Any] | Samples) -> None:
        """Queue one batch; raises :class:`InvalidSamplesError` for malformed or out-of-order batches."""
        s = payload if isinstance(payload, Samples) else samples_from_payload(payload)
        if len(s) and s.t_ms[0] < self._last_t:
            raise InvalidSamplesError(
                f"batch starts at {float(s.t_ms[0])} ms, before the previous batch ended ({self._last_t} ms)",
                index=0,
                field="t",
            )
        if len(s):
            self._last_t = float(s.t_ms[-1])
        self._q.put_nowait(s)

    def _connect(self) -> None:
        self.info = {"vendor": "browser", "model": "webcam"}

    def _read(self, timeout_s: float) -> Samples | None:
        try:
            return self._q.get(timeout=timeout_s)
        except queue.Empty:
            return None

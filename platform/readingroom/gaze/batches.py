"""Validation of gaze batches and view events as they arrive from a device or the viewer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from readingroom.core.exceptions import InvalidInput


@dataclass(frozen=True)
class GazeBatch:
    """A validated batch: ``data`` is float64 (4, n): device time ms, screen x, screen y, validity."""

    seq: int
    device: str
    data: np.ndarray
    stream: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])


@dataclass(frozen=True)
class ViewMessage:
    stream: str
    seq: int
    t_ms: float
    image_id: int
    image_region: tuple[float, float, float, float]
    screen_rect: tuple[float, float, float, float]
    window_width: float | None
    window_level: float | None
    zoom: float | None


def _seq(message: dict[str, Any]) -> int:
    seq = message.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidInput(f"seq must be a non-negative integer, got {seq!r}")
    return seq


def parse_stream(message: dict[str, Any]) -> str:
    """The message's sender stream id ("" when absent)."""
    stream = message.get("stream", "")
    if not isinstance(stream, str) or len(stream) > 64 or not all(c.isalnum() or c in "-_." for c in stream):
        raise InvalidInput("stream must be up to 64 letters, digits, '-', '_' or '.'")
    return stream


def _number_list(samples: dict[str, Any], key: str, *, allow_null: bool) -> np.ndarray:
    values = samples.get(key)
    if not isinstance(values, list):
        raise InvalidInput(f"samples.{key} must be a list")
    try:
        array = np.array([math.nan if v is None and allow_null else v for v in values], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"samples.{key} must hold numbers{' or null' if allow_null else ''}") from exc
    if any(type(v) is bool for v in values):
        raise InvalidInput(f"samples.{key} must hold numbers, not booleans")
    return array


def parse_gaze_batch(message: dict[str, Any], *, max_samples: int) -> GazeBatch:
    """Validate a ``gaze_batch`` message; :class:`InvalidInput` names the offending field and index."""
    seq = _seq(message)
    device = message.get("device", "unknown")
    if not isinstance(device, str) or not 0 < len(device) <= 64:
        raise InvalidInput("device must be a string of 1 to 64 characters")
    samples = message.get("samples")
    if not isinstance(samples, dict):
        raise InvalidInput("samples must be an object with lists t, x, y (and optionally valid)")
    t = _number_list(samples, "t", allow_null=False)
    x = _number_list(samples, "x", allow_null=True)
    y = _number_list(samples, "y", allow_null=True)
    n = t.size
    if n == 0:
        raise InvalidInput("samples.t is empty")
    if n > max_samples:
        raise InvalidInput(f"batch holds {n} samples, more than the limit of {max_samples}")
    if x.size != n or y.size != n:
        raise InvalidInput(f"samples.t, samples.x and samples.y differ in length ({n}, {x.size}, {y.size})")
    if not np.all(np.isfinite(t)):
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise InvalidInput(f"samples.t[{bad}] is not a finite number")
    steps = np.diff(t)
    if np.any(steps < 0):
        bad = int(np.flatnonzero(steps < 0)[0]) + 1
        raise InvalidInput(f"samples.t[{bad}] goes back in time ({t[bad]} after {t[bad - 1]})")
    if "valid" in samples:
        valid_list = samples["valid"]
        if not isinstance(valid_list, list) or len(valid_list) != n:
            raise InvalidInput(f"samples.valid must be a list of {n} booleans")
        if not all(isinstance(v, bool) for v in valid_list):
            raise InvalidInput("samples.valid must hold only true/false")
        valid = np.array(valid_list, dtype=bool)
    else:
        valid = np.ones(n, dtype=bool)
    valid &= np.isfinite(x) & np.isfinite(y)
    return GazeBatch(
        seq=seq,
        device=device,
        data=np.stack([t, x, y, valid.astype(np.float64)]),
        stream=parse_stream(message),
    )


def _quad(message: dict[str, Any], key: str) -> tuple[float, float, float, float]:
    value = message.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    ):
        raise InvalidInput(f"{key} must be a list of four finite numbers [x0, y0, x1, y1]")
    x0, y0, x1, y1 = (float(v) for v in value)
    if x1 <= x0 or y1 <= y0:
        raise InvalidInput(f"{key} must have x1 > x0 and y1 > y0, got {value}")
    return x0, y0, x1, y1


def _optional_number(message: dict[str, Any], key: str) -> float | None:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidInput(f"{key} must be a finite number or null")
    return float(value)


def parse_view_message(message: dict[str, Any]) -> ViewMessage:
    """Validate a ``view`` message; :class:`InvalidInput` names the offending field."""
    seq = _seq(message)
    t = _optional_number(message, "t")
    if t is None:
        raise InvalidInput("t (device time of the view change, ms) is required")
    image_id = message.get("image_id")
    if not isinstance(image_id, int) or isinstance(image_id, bool):
        raise InvalidInput("image_id must be an integer")
    return ViewMessage(
        stream=parse_stream(message),
        seq=seq,
        t_ms=t,
        image_id=image_id,
        image_region=_quad(message, "image_region"),
        screen_rect=_quad(message, "screen_rect"),
        window_width=_optional_number(message, "window_width"),
        window_level=_optional_number(message, "window_level"),
        zoom=_optional_number(message, "zoom"),
    )

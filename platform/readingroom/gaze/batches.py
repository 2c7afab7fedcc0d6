"""Validation of gaze batches and view events as they arrive from a device or the viewer.

Every value is checked against the range the database and the analysis can hold before anything is stored,
so that a bad message gets its own error naming the field and never fails a commit shared with others:

- ``seq``: an integer from 0 to :data:`SEQ_MAX` (the range of the database's integer column);
- ``device``: 1 to 64 printable characters; ``stream``: up to 64 letters, digits, ``-``, ``_`` or ``.``;
- times (``samples.t``, a view's ``t``, a ping's ``t_client``): finite, within ±:data:`TIME_MAX_MS`;
- positions and rectangles: finite, within ±:data:`COORD_MAX`; ``null`` (or NaN in a binary array) marks a
  missing gaze position, never a time;
- ``samples.t``, ``x``, ``y`` (and ``valid``) are flat lists of the same length (or, in MessagePack frames,
  little-endian float64 byte strings; ``valid`` then one byte 0/1 per sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from readingroom.core.exceptions import InvalidInput

SEQ_MAX = 2**31 - 1  # a PositiveIntegerField is a 32-bit signed integer on PostgreSQL
ID_MAX = 2**63 - 1  # BigAutoField primary keys
TIME_MAX_MS = 1e13  # about 317 years from the clock's origin: epoch milliseconds until the year 2286
COORD_MAX = 1e6  # pixels (or normalised units): far beyond any screen, small enough for every computation
ZOOM_MAX = 1e4
WINDOW_MAX = 1e7  # window width and level, in stored pixel values
TEXT_MAX = 64


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(message: dict[str, Any], key: str, low: int, high: int) -> int:
    value = message.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        shown = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge integer"
        raise InvalidInput(f"{key} must be an integer from {low} to {high}, got {shown}")
    return value


def _seq(message: dict[str, Any]) -> int:
    return _integer(message, "seq", 0, SEQ_MAX)


def message_seq(message: dict[str, Any]) -> int | None:
    """The message's ``seq`` when it is a valid one, for error replies (None otherwise)."""
    seq = message.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= SEQ_MAX else None


def parse_stream(message: dict[str, Any]) -> str:
    """The message's sender stream id ("" when absent)."""
    stream = message.get("stream", "")
    if (
        not isinstance(stream, str)
        or len(stream) > TEXT_MAX
        or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in stream)
    ):
        raise InvalidInput("stream must be up to 64 letters, digits, '-', '_' or '.'")
    return stream


def _device(message: dict[str, Any]) -> str:
    device = message.get("device", "unknown")
    if not isinstance(device, str) or not 0 < len(device) <= TEXT_MAX:
        raise InvalidInput(f"device must be a string of 1 to {TEXT_MAX} characters")
    if not device.isprintable():
        raise InvalidInput("device must not hold control characters (NUL, newline, ...)")
    return device


def finite_number(value: Any, key: str, *, bound: float) -> float:
    """``value`` as a float when it is a finite number within ±``bound``; else :class:`InvalidInput`."""
    if not _is_number(value):
        raise InvalidInput(f"{key} must be a finite number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidInput(f"{key} must be a number from {-bound:g} to {bound:g}") from None
    if not math.isfinite(number):
        raise InvalidInput(f"{key} must be a finite number, got {number!r}")
    if abs(number) > bound:
        raise InvalidInput(f"{key} must be a number from {-bound:g} to {bound:g}, got {number:g}")
    return number


def _first_bad(values: list[Any]) -> int:
    for i, v in enumerate(values):
        try:
            float(v)
        except (OverflowError, TypeError, ValueError):
            return i
    return 0


def _number_array(samples: dict[str, Any], key: str, *, missing_ok: bool) -> np.ndarray:
    """A field of ``samples`` as float64 (n,); ``missing_ok``: null/NaN allowed (kept as NaN)."""
    values = samples.get(key)
    if isinstance(values, bytes):
        if len(values) % 8:
            raise InvalidInput(f"samples.{key} bytes must be little-endian float64 (a multiple of 8 bytes)")
        array = np.frombuffer(values, dtype="<f8").astype(np.float64)
    elif isinstance(values, list):
        kinds = set(map(type, values))
        if kinds - {int, float, type(None)}:
            if bool in kinds:
                raise InvalidInput(f"samples.{key} must hold numbers, not booleans")
            if kinds & {list, dict}:
                raise InvalidInput(f"samples.{key} must be a flat list of numbers")
            raise InvalidInput(f"samples.{key} must hold numbers{' or null' if missing_ok else ''}")
        if type(None) in kinds:
            if not missing_ok:
                raise InvalidInput(f"samples.{key}[{values.index(None)}] is not a finite number")
            values = [math.nan if v is None else v for v in values]
        try:
            array = np.array(values, dtype=np.float64)
        except OverflowError:
            bad = _first_bad(values)
            raise InvalidInput(f"samples.{key}[{bad}] is outside ±{_bound(key):g}") from None
    else:
        raise InvalidInput(f"samples.{key} must be a list")
    bound = _bound(key)
    finite = np.isfinite(array)
    bad_mask = ~finite & ~np.isnan(array) if missing_ok else ~finite
    if bad_mask.any():
        bad = int(np.flatnonzero(bad_mask)[0])
        raise InvalidInput(f"samples.{key}[{bad}] is not a finite number ({array[bad]!r})")
    outside = np.abs(np.where(finite, array, 0.0)) > bound
    if outside.any():
        bad = int(np.flatnonzero(outside)[0])
        raise InvalidInput(f"samples.{key}[{bad}] is outside ±{bound:g} ({array[bad]:g})")
    return array


def _bound(key: str) -> float:
    return TIME_MAX_MS if key == "t" else COORD_MAX


def _valid_flags(samples: dict[str, Any], n: int) -> np.ndarray:
    if "valid" not in samples:
        return np.ones(n, dtype=bool)
    flags = samples["valid"]
    if isinstance(flags, bytes) and len(flags) == n:
        array = np.frombuffer(flags, dtype=np.uint8)
        if np.any(array > 1):
            raise InvalidInput("samples.valid bytes must each be 0 or 1")
        return array.astype(bool)
    if not isinstance(flags, list) or len(flags) != n:
        raise InvalidInput(f"samples.valid must be a list of {n} booleans")
    if set(map(type, flags)) - {bool}:
        raise InvalidInput("samples.valid must hold only true/false")
    return np.array(flags, dtype=bool)


def parse_gaze_batch(message: dict[str, Any], *, max_samples: int) -> GazeBatch:
    """Validate a ``gaze_batch`` message; :class:`InvalidInput` names the offending field and index."""
    seq = _seq(message)
    device = _device(message)
    stream = parse_stream(message)
    samples = message.get("samples")
    if not isinstance(samples, dict):
        raise InvalidInput("samples must be an object with lists t, x, y (and optionally valid)")
    for key in ("t", "x", "y"):  # refuse an oversized batch before converting any of it
        values = samples.get(key)
        n = len(values) // (8 if isinstance(values, bytes) else 1) if isinstance(values, list | bytes) else 0
        if n > max_samples:
            raise InvalidInput(f"batch holds {n} samples, more than the limit of {max_samples}")
    t = _number_array(samples, "t", missing_ok=False)
    x = _number_array(samples, "x", missing_ok=True)
    y = _number_array(samples, "y", missing_ok=True)
    n = t.size
    if n == 0:
        raise InvalidInput("samples.t is empty")
    if x.size != n or y.size != n:
        raise InvalidInput(f"samples.t, samples.x and samples.y differ in length ({n}, {x.size}, {y.size})")
    steps = np.diff(t)
    if np.any(steps < 0):
        bad = int(np.flatnonzero(steps < 0)[0]) + 1
        raise InvalidInput(f"samples.t[{bad}] goes back in time ({t[bad]} after {t[bad - 1]})")
    valid = _valid_flags(samples, n) & np.isfinite(x) & np.isfinite(y)
    return GazeBatch(
        seq=seq, device=device, data=np.stack([t, x, y, valid.astype(np.float64)]), stream=stream
    )


def _quad(message: dict[str, Any], key: str) -> tuple[float, float, float, float]:
    value = message.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(_is_number(v) and math.isfinite(v) and abs(v) <= COORD_MAX for v in value)
    ):
        raise InvalidInput(
            f"{key} must be a list of four finite numbers [x0, y0, x1, y1] within ±{COORD_MAX:g}"
        )
    x0, y0, x1, y1 = (float(v) for v in value)
    if x1 <= x0 or y1 <= y0:
        raise InvalidInput(f"{key} must have x1 > x0 and y1 > y0, got {value}")
    return x0, y0, x1, y1


def _optional_number(message: dict[str, Any], key: str, *, bound: float) -> float | None:
    value = message.get(key)
    return None if value is None else finite_number(value, key, bound=bound)


def parse_view_message(message: dict[str, Any]) -> ViewMessage:
    """Validate a ``view`` message; :class:`InvalidInput` names the offending field."""
    seq = _seq(message)
    t = _optional_number(message, "t", bound=TIME_MAX_MS)
    if t is None:
        raise InvalidInput("t (device time of the view change, ms) is required")
    image_id = _integer(message, "image_id", 1, ID_MAX)
    zoom = _optional_number(message, "zoom", bound=ZOOM_MAX)
    if zoom is not None and zoom <= 0:
        raise InvalidInput(f"zoom must be a number from 0 (exclusive) to {ZOOM_MAX:g}, got {zoom:g}")
    return ViewMessage(
        stream=parse_stream(message),
        seq=seq,
        t_ms=t,
        image_id=image_id,
        image_region=_quad(message, "image_region"),
        screen_rect=_quad(message, "screen_rect"),
        window_width=_optional_number(message, "window_width", bound=WINDOW_MAX),
        window_level=_optional_number(message, "window_level", bound=WINDOW_MAX),
        zoom=zoom,
    )

"""Columnar sample, fixation and saccade containers.

All arrays are 1-D numpy arrays of equal length ``n``. Times are milliseconds on the *device* clock
(never the time a batch arrived); positions are in the coordinates the producer states (screen pixels for
raw device samples, image pixels after :func:`gaze_capture.map_to_image`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InvalidSamplesError, NonMonotonicTimeError

__all__ = ["Samples", "BinocularSamples", "Fixations", "Saccades"]

F64 = NDArray[np.float64]


def _as_1d_float(name: str, values: ArrayLike) -> F64:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidSamplesError(f"cannot convert to float64: {exc}", field=name) from exc
    if arr.ndim != 1:
        raise InvalidSamplesError(f"expected a 1-D array, got shape {arr.shape}", field=name)
    return arr


def _check_length(name: str, arr: np.ndarray, n: int) -> None:
    if arr.shape[0] != n:
        raise InvalidSamplesError(f"length {arr.shape[0]} differs from t_ms length {n}", field=name)


@dataclass(frozen=True, eq=False)
class Samples:
    """A batch or recording of gaze samples, columnar.

    Attributes
    ----------
    t_ms : ndarray of float64, shape (n,)
        Device timestamps in milliseconds, monotonic non-decreasing.
    x, y : ndarray of float64, shape (n,)
        Gaze position (screen pixels for raw samples). NaN where ``valid`` is False.
    valid : ndarray of bool, shape (n,)
        False for lost tracking, blinks and samples the producer flagged.
    pupil : ndarray of float64, shape (n,), or None
        Pupil size in the device's unit (diameter mm or area), when given.
    host_t_ms : ndarray of float64, shape (n,), or None
        Host (receiving computer) clock in milliseconds, when the adapter records it.
    """

    t_ms: F64
    x: F64
    y: F64
    valid: NDArray[np.bool_]
    pupil: F64 | None = None
    host_t_ms: F64 | None = None

    @classmethod
    def from_arrays(
        cls,
        t_ms: ArrayLike,
        x: ArrayLike,
        y: ArrayLike,
        valid: ArrayLike | None = None,
        pupil: ArrayLike | None = None,
        *,
        host_t_ms: ArrayLike | None = None,
    ) -> Samples:
        """Validate and build a :class:`Samples`.

        Parameters
        ----------
        t_ms : array_like, shape (n,)
            Device time in ms; must be finite and monotonic non-decreasing.
        x, y : array_like, shape (n,)
            Gaze position; NaN or infinite entries make that sample invalid.
        valid : array_like of bool, shape (n,), optional
            Producer's validity flag (default: all valid). Combined with finiteness of x and y.
        pupil : array_like, shape (n,), optional
            Pupil size.
        host_t_ms : array_like, shape (n,), optional
            Host clock in ms.

        Raises
        ------
        InvalidSamplesError
            Lengths differ or an array is not 1-D; the message names the field.
        NonMonotonicTimeError
            A timestamp is NaN or smaller than its predecessor; the message names the sample index.

        Examples
        --------
        >>> s = Samples.from_arrays([0, 2, 4], [10, float("nan"), 12], [5, 5, 5])
        >>> s.valid.tolist()
        [True, False, True]
        """
        t = _as_1d_float("t_ms", t_ms)
        n = t.shape[0]
        xa = _as_1d_float("x", x)
        ya = _as_1d_float("y", y)
        _check_length("x", xa, n)
        _check_length("y", ya, n)
        bad_t = ~np.isfinite(t)
        if bad_t.any():
            raise NonMonotonicTimeError("timestamp is not finite", index=int(np.argmax(bad_t)), field="t_ms")
        if n > 1:
            back = np.diff(t) < 0
            if back.any():
                i = int(np.argmax(back)) + 1
                raise NonMonotonicTimeError(
                    f"timestamp {float(t[i])!r} ms is earlier than the previous {float(t[i - 1])!r} ms",
                    index=i,
                    field="t_ms",
                )
        finite = np.isfinite(xa) & np.isfinite(ya)
        if valid is None:
            v = finite
        else:
            v = np.asarray(valid)
            if v.ndim != 1:
                raise InvalidSamplesError(f"expected a 1-D array, got shape {v.shape}", field="valid")
            _check_length("valid", v, n)
            v = v.astype(bool) & finite
        xa = np.where(v, xa, np.nan)
        ya = np.where(v, ya, np.nan)
        p = None
        if pupil is not None:
            p = _as_1d_float("pupil", pupil)
            _check_length("pupil", p, n)
        h = None
        if host_t_ms is not None:
            h = _as_1d_float("host_t_ms", host_t_ms)
            _check_length("host_t_ms", h, n)
        return cls(t_ms=t, x=xa, y=ya, valid=v, pupil=p, host_t_ms=h)

    def __len__(self) -> int:
        return int(self.t_ms.shape[0])

    @property
    def duration_ms(self) -> float:
        """Time from the first to the last sample in ms (0 for fewer than two samples)."""
        return float(self.t_ms[-1] - self.t_ms[0]) if len(self) > 1 else 0.0

    @property
    def sampling_rate_hz(self) -> float:
        """Nominal sampling rate from the median sample interval, in Hz (NaN for < 2 samples)."""
        if len(self) < 2:
            return float("nan")
        dt = float(np.median(np.diff(self.t_ms)))
        return 1000.0 / dt if dt > 0 else float("nan")

    def mask(self, keep: ArrayLike) -> Samples:
        """Samples where ``keep`` (bool, shape (n,)) is True."""
        k = np.asarray(keep, dtype=bool)
        return Samples(
            t_ms=self.t_ms[k],
            x=self.x[k],
            y=self.y[k],
            valid=self.valid[k],
            pupil=None if self.pupil is None else self.pupil[k],
            host_t_ms=None if self.host_t_ms is None else self.host_t_ms[k],
        )

    def with_invalid_outside(self, width: float, height: float, margin: float = 0.0) -> Samples:
        """Mark samples outside ``[-margin, width + margin] x [-margin, height + margin]`` invalid.

        Parameters
        ----------
        width, height : float
            Screen size in the samples' unit (pixels).
        margin : float
            Tolerance in the same unit.
        """
        inside = (
            (self.x >= -margin)
            & (self.x <= width + margin)
            & (self.y >= -margin)
            & (self.y <= height + margin)
        )
        v = self.valid & inside
        return Samples(
            t_ms=self.t_ms,
            x=np.where(v, self.x, np.nan),
            y=np.where(v, self.y, np.nan),
            valid=v,
            pupil=self.pupil,
            host_t_ms=self.host_t_ms,
        )

    @staticmethod
    def concatenate(parts: Sequence[Samples]) -> Samples:
        """Join batches in order; raises :class:`NonMonotonicTimeError` if time goes backwards across them."""
        if not parts:
            return Samples.from_arrays([], [], [])
        has_pupil = all(p.pupil is not None for p in parts)
        has_host = all(p.host_t_ms is not None for p in parts)
        return Samples.from_arrays(
            np.concatenate([p.t_ms for p in parts]),
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.valid for p in parts]),
            np.concatenate([p.pupil for p in parts]) if has_pupil else None,  # type: ignore[misc]
            host_t_ms=np.concatenate([p.host_t_ms for p in parts]) if has_host else None,  # type: ignore[misc]
        )


@dataclass(frozen=True, eq=False)
class BinocularSamples:
    """Samples of both eyes on one clock (``left`` and ``right`` share ``t_ms``).

    Use :meth:`cyclopean` for the mean of the eyes that are valid at each sample.
    """

    left: Samples
    right: Samples

    def __post_init__(self) -> None:
        if len(self.left) != len(self.right) or not np.array_equal(self.left.t_ms, self.right.t_ms):
            raise InvalidSamplesError(
                "left and right eye samples must share the same timestamps", field="t_ms"
            )

    def __len__(self) -> int:
        return len(self.left)

    def cyclopean(self) -> Samples:
        """Mean of both eyes where both are valid, the valid eye where only one is, invalid otherwise."""
        lv, rv = self.left.valid, self.right.valid
        both = lv & rv
        x = np.where(both, 0.5 * (self.left.x + self.right.x), np.where(lv, self.left.x, self.right.x))
        y = np.where(both, 0.5 * (self.left.y + self.right.y), np.where(lv, self.left.y, self.right.y))
        pupil = None
        if self.left.pupil is not None and self.right.pupil is not None:
            pupil = np.where(
                both,
                0.5 * (self.left.pupil + self.right.pupil),
                np.where(lv, self.left.pupil, self.right.pupil),
            )
        return Samples.from_arrays(self.left.t_ms, x, y, lv | rv, pupil, host_t_ms=self.left.host_t_ms)


class _Columns:
    """Shared behaviour of columnar event tables (all fields are equal-length 1-D arrays)."""

    def __post_init__(self) -> None:
        n = None
        for f in fields(self):  # type: ignore[arg-type]
            arr = np.asarray(getattr(self, f.name), dtype=np.float64)
            object.__setattr__(self, f.name, arr)
            if arr.ndim != 1:
                raise InvalidSamplesError(f"expected a 1-D array, got shape {arr.shape}", field=f.name)
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise InvalidSamplesError(f"length {arr.shape[0]} differs from {n}", field=f.name)

    def __len__(self) -> int:
        return int(getattr(self, fields(self)[0].name).shape[0])  # type: ignore[arg-type]

    def mask(self, keep: ArrayLike) -> Any:
        """Rows where ``keep`` (bool, shape (n,)) is True, as a new table of the same type."""
        k = np.asarray(keep, dtype=bool)
        return type(self)(**{f.name: getattr(self, f.name)[k] for f in fields(self)})  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists per column (JSON-ready)."""
        return {f.name: getattr(self, f.name).tolist() for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def empty(cls) -> Any:
        """A table with zero rows."""
        return cls(**{f.name: np.empty(0) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Fixations(_Columns):
    """Detected fixations, one row each.

    Attributes
    ----------
    onset_ms, offset_ms, duration_ms : ndarray of float64, shape (k,)
        Start and end time (device ms) and ``offset_ms - onset_ms``.
    x, y : ndarray of float64, shape (k,)
        Mean position in the coordinates of the input samples.
    """

    onset_ms: F64
    offset_ms: F64
    duration_ms: F64
    x: F64
    y: F64


@dataclass(frozen=True, eq=False)
class Saccades(_Columns):
    """Detected saccades, one row each.

    Attributes
    ----------
    onset_ms, offset_ms, duration_ms : ndarray of float64, shape (k,)
        Start, end and duration in ms.
    x0, y0, x1, y1 : ndarray of float64, shape (k,)
        Start and end position (input coordinates).
    amplitude_deg : ndarray of float64, shape (k,)
        Distance from start to end position in degrees of visual angle.
    peak_velocity_dps : ndarray of float64, shape (k,)
        Peak angular velocity in deg/s.
    """

    onset_ms: F64
    offset_ms: F64
    duration_ms: F64
    x0: F64
    y0: F64
    x1: F64
    y1: F64
    amplitude_deg: F64
    peak_velocity_dps: F64

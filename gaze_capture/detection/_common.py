"""Shared vectorised building blocks of the detectors (runs, velocities, event tables, merging)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from ..errors import EmptyInputError, ParameterError
from ..samples import Fixations, Saccades, Samples

__all__ = [
    "EventLabel",
    "Segmentation",
    "runs",
    "to_degrees",
    "nominal_interval_ms",
    "ms_to_samples",
    "check_positive",
    "fixations_from_runs",
    "saccades_from_runs",
    "merge_runs",
    "labels_from_runs",
    "run_mask",
    "run_sums",
    "RunMeans",
    "fill_gaps",
    "prev_true",
    "next_true",
    "grow_saccades",
    "first_at_or_after",
    "last_at_or_before",
]

I64 = NDArray[np.int64]


class EventLabel(IntEnum):
    """Per-sample event codes (the coding of the Lund 2013 hand-labelled data set, plus 0)."""

    UNCLASSIFIED = 0
    FIXATION = 1
    SACCADE = 2
    PSO = 3
    PURSUIT = 4
    BLINK = 5
    UNDEFINED = 6


@dataclass(frozen=True, eq=False)
class Segmentation:
    """Everything a detector found in one recording.

    Attributes
    ----------
    labels : ndarray of int8, shape (n,)
        One :class:`EventLabel` per input sample.
    fixations : Fixations
        Fixation table (input coordinates).
    saccades : Saccades
        Saccade table (empty for detectors that do not segment saccades as events).
    """

    labels: NDArray[np.int8]
    fixations: Fixations
    saccades: Saccades


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising :class:`ParameterError` unless it is finite and > 0 (>= 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ParameterError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, got {value!r}")
    return v


def nominal_interval_ms(samples: Samples) -> float:
    """Median sample interval in ms; raises :class:`EmptyInputError` for fewer than 2 samples."""
    if len(samples) < 2:
        raise EmptyInputError(f"need at least 2 samples to detect events, got {len(samples)}")
    # the median of the first 100,000 intervals is as good as all of them and much cheaper
    dt = float(np.median(np.diff(samples.t_ms[:100_001])))
    if dt <= 0:
        raise EmptyInputError("median sample interval is 0 ms: timestamps are not distinct")
    return dt


def ms_to_samples(name: str, ms: float, dt_ms: float, *, minimum: int = 1) -> int:
    """Convert a duration to a whole number of samples, warning when it is shorter than one sample."""
    n = int(round(ms / dt_ms))
    if ms > 0 and ms < dt_ms:
        warnings.warn(
            f"{name}={ms} ms is shorter than one sample ({dt_ms:.3g} ms); using {minimum} sample(s)",
            RuntimeWarning,
            stacklevel=3,
        )
    return max(n, minimum)


def to_degrees(samples: Samples, pixels_per_degree: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sample positions divided by pixels per degree (NaN where invalid)."""
    ppd = check_positive("pixels_per_degree", pixels_per_degree)
    return samples.x / ppd, samples.y / ppd


def runs(mask: NDArray[np.bool_]) -> tuple[I64, I64]:
    """Start (inclusive) and end (exclusive) indices of the runs of True in a 1-D bool array."""
    m = np.asarray(mask, dtype=np.int8)
    if m.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    d = np.diff(m, prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return starts.astype(np.int64), ends.astype(np.int64)


def _interleaved(starts: I64, ends: I64) -> I64:
    out = np.empty(2 * starts.size, np.int64)
    out[0::2] = starts
    out[1::2] = ends
    return out


def run_sums(values: NDArray, starts: I64, ends: I64, ufunc: np.ufunc = np.add) -> NDArray:
    """``ufunc.reduce(values[s:e])`` for each (non-empty, sorted, disjoint) run, in one pass."""
    if starts.size == 0:
        return np.empty(0, dtype=values.dtype)
    idx = _interleaved(starts, ends)
    if idx[-1] >= values.shape[0]:
        idx = idx[:-1]  # the last run reaches the end of the array, where reduceat stops anyway
    return ufunc.reduceat(values, idx)[0::2]


def _run_means(
    values: NDArray[np.float64], starts: I64, ends: I64, ok: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """NaN-ignoring mean of ``values[s:e]`` for each run (``ok``: where values are finite, if known)."""
    if starts.size == 0:
        return np.empty(0)
    if ok is None:
        ok = ~np.isnan(values)
    total = run_sums(np.where(ok, values, 0.0), starts, ends)
    cnt = run_sums(ok.view(np.int8), starts, ends, np.add).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, total / np.maximum(cnt, 1), np.nan)


class RunMeans:
    """Prefix sums of the valid positions of a recording: the mean position of any run of samples in O(1).

    Building it costs three cumulative sums; each detector that needs run means several times (merging,
    then the fixation table) builds it once instead of reducing the whole recording per call.
    """

    def __init__(self, samples: Samples) -> None:
        n = len(samples)
        valid = samples.valid
        first = int(np.argmax(valid)) if n else 0
        # sums of offsets from the first valid position: smaller sums, so a run's mean loses fewer digits
        # (and a constant run's mean is exact)
        self._x0 = float(samples.x[first]) if n and valid[first] else 0.0
        self._y0 = float(samples.y[first]) if n and valid[first] else 0.0
        self._cx = np.zeros(n + 1)
        self._cy = np.zeros(n + 1)
        self._cn = np.zeros(n + 1, np.int64)
        np.cumsum(np.where(valid, samples.x - self._x0, 0.0), out=self._cx[1:])
        np.cumsum(np.where(valid, samples.y - self._y0, 0.0), out=self._cy[1:])
        np.cumsum(valid, out=self._cn[1:])

    def means(self, starts: I64, ends: I64) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean x and y of the valid samples of each run ``[starts[i], ends[i])`` (NaN for none)."""
        cnt = self._cn[ends] - self._cn[starts]
        with np.errstate(invalid="ignore", divide="ignore"):
            mx = (self._cx[ends] - self._cx[starts]) / cnt + self._x0
            my = (self._cy[ends] - self._cy[starts]) / cnt + self._y0
        return np.where(cnt > 0, mx, np.nan), np.where(cnt > 0, my, np.nan)


def _offsets(t_ms: NDArray[np.float64], ends: I64, dt_ms: float) -> NDArray[np.float64]:
    # an event ends one sample interval after its last sample
    return t_ms[ends - 1] + dt_ms


def fixations_from_runs(
    samples: Samples, starts: I64, ends: I64, dt_ms: float, means: RunMeans | None = None
) -> Fixations:
    """Fixation table for sample runs ``[starts[i], ends[i])`` (``means``: the recording's, if built)."""
    if starts.size == 0:
        return Fixations.empty()
    on = samples.t_ms[starts]
    off = _offsets(samples.t_ms, ends, dt_ms)
    if means is not None:
        x, y = means.means(starts, ends)
    else:
        x = _run_means(samples.x, starts, ends, samples.valid)
        y = _run_means(samples.y, starts, ends, samples.valid)
    return Fixations(onset_ms=on, offset_ms=off, duration_ms=off - on, x=x, y=y)


def _first_last_valid(values: NDArray[np.float64], starts: I64, ends: I64) -> tuple[I64, I64]:
    ok = np.isfinite(values)
    idx = np.arange(values.shape[0])
    nxt = np.where(ok, idx, values.shape[0])
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]  # next valid index at or after i
    prv = np.where(ok, idx, -1)
    prv = np.maximum.accumulate(prv)  # previous valid index at or before i
    first = nxt[starts]
    last = prv[ends - 1]
    return first, last


def saccades_from_runs(
    samples: Samples,
    starts: I64,
    ends: I64,
    dt_ms: float,
    speed_dps: NDArray[np.float64] | None,
    pixels_per_degree: float,
    peak_dps: NDArray[np.float64] | None = None,
) -> Saccades:
    """Saccade table for sample runs, with amplitude (deg) and peak speed (deg/s).

    ``peak_dps`` (one per run) may be given instead of the per-sample ``speed_dps``.
    """
    if starts.size == 0:
        return Saccades.empty()
    n = len(samples)
    valid = samples.valid
    first = starts.copy()
    last = ends - 1
    if not (valid[first].all() and valid[last].all()):
        f2, l2 = _first_last_valid(samples.x, starts, ends)
        first, last = f2, l2
    ok = (first < n) & (last >= 0) & (first <= last)
    fi = np.clip(first, 0, n - 1)
    la = np.clip(last, 0, n - 1)
    x0 = np.where(ok, samples.x[fi], np.nan)
    y0 = np.where(ok, samples.y[fi], np.nan)
    x1 = np.where(ok, samples.x[la], np.nan)
    y1 = np.where(ok, samples.y[la], np.nan)
    if peak_dps is None:
        peak = run_sums(speed_dps, starts, ends, np.fmax)  # fmax ignores NaN
    else:
        peak = np.asarray(peak_dps, dtype=float)
    peak = np.where(np.isfinite(peak), peak, np.nan)
    on = samples.t_ms[starts]
    off = _offsets(samples.t_ms, ends, dt_ms)
    return Saccades(
        onset_ms=on,
        offset_ms=off,
        duration_ms=off - on,
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
        amplitude_deg=np.hypot(x1 - x0, y1 - y0) / pixels_per_degree,
        peak_velocity_dps=peak,
    )


def merge_runs(
    samples: Samples,
    starts: I64,
    ends: I64,
    dt_ms: float,
    *,
    max_gap_ms: float,
    max_distance_deg: float,
    pixels_per_degree: float,
    means: RunMeans | None = None,
) -> tuple[I64, I64]:
    """Join consecutive runs at most ``max_gap_ms`` apart whose centres lie within ``max_distance_deg``."""
    if starts.size < 2 or max_gap_ms <= 0:
        return starts, ends
    if means is not None:
        mx, my = means.means(starts, ends)
    else:
        mx = _run_means(samples.x, starts, ends, samples.valid)
        my = _run_means(samples.y, starts, ends, samples.valid)
    gap = samples.t_ms[starts[1:]] - (samples.t_ms[ends[:-1] - 1] + dt_ms)
    dist = np.hypot(mx[1:] - mx[:-1], my[1:] - my[:-1]) / pixels_per_degree
    join = (gap <= max_gap_ms) & (dist <= max_distance_deg)
    if not join.any():
        return starts, ends
    new_group = np.concatenate(([True], ~join))
    return starts[new_group], ends[np.concatenate((~join, [True]))]


def run_mask(n: int, starts: I64, ends: I64) -> NDArray[np.bool_]:
    """Boolean array of length ``n`` that is True inside the (sorted, disjoint) runs."""
    if starts.size == 0:
        return np.zeros(n, bool)
    bounds = np.concatenate(([0], _interleaved(starts, ends), [n]))
    flags = np.zeros(bounds.size - 1, bool)
    flags[1::2] = True
    return np.repeat(flags, np.diff(bounds))


def labels_from_runs(
    n: int, starts: I64, ends: I64, label: int, out: NDArray[np.int8] | None = None
) -> NDArray[np.int8]:
    """Write ``label`` into ``out`` (created as zeros when None) over each run; returns ``out``.

    Runs may overlap or be unsorted (they are merged first).
    """
    if out is None:
        out = np.zeros(n, np.int8)
    if starts.size:
        starts = np.asarray(starts, np.int64)
        ends = np.asarray(ends, np.int64)
        if starts.size > 1 and (np.any(np.diff(starts) < 0) or np.any(starts[1:] < ends[:-1])):
            d = np.zeros(n + 1, np.int32)
            np.add.at(d, starts, 1)
            np.add.at(d, ends, -1)
            out[np.cumsum(d[:-1]) > 0] = label
        else:
            out[run_mask(n, starts, ends)] = label
    return out


def fill_gaps(v: NDArray[np.float64], lost: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
    """Linear interpolation over NaNs (constant at the ends) so that filters can run across gaps.

    Works run by run of lost samples (``lost``, default: where ``v`` is not finite), so that its cost
    follows the amount of lost data rather than the length of the recording.
    """
    if lost is None:
        lost = ~np.isfinite(v)
    ls, le = runs(lost)
    if ls.size == 0:
        return v
    n = v.size
    if ls[0] == 0 and le[0] == n:
        return np.zeros_like(v)
    left = v[np.maximum(ls - 1, 0)]
    right = v[np.minimum(le, n - 1)]
    left = np.where(ls > 0, left, right)  # a gap at the start takes the first value after it
    right = np.where(le < n, right, left)  # and one at the end the last value before it
    length = le - ls
    run_of = np.repeat(np.arange(ls.size), length)
    step = np.arange(run_of.size) - np.repeat(np.cumsum(length) - length, length) + 1  # 1..length
    out = v.copy()
    out[np.repeat(ls, length) + step - 1] = left[run_of] + (right - left)[run_of] * (
        step / (length + 1)[run_of]
    )
    return out


def prev_true(mask: NDArray[np.bool_]) -> I64:
    """Index of the last True at or before i (-1 if none)."""
    idx = np.where(mask, np.arange(mask.size), -1)
    return np.maximum.accumulate(idx)


def next_true(mask: NDArray[np.bool_]) -> I64:
    """Index of the first True at or after i (n if none)."""
    n = mask.size
    idx = np.where(mask, np.arange(n), n)
    return np.minimum.accumulate(idx[::-1])[::-1]


def grow_saccades(
    speed: NDArray[np.float64], peak_dps: float, onset_dps: float, *, at_minimum: bool = True
) -> tuple[I64, I64]:
    """Saccade candidates: runs above ``peak_dps`` grown both ways while the speed stays >= ``onset_dps``.

    NaN speeds (lost data) stop the growth. With ``at_minimum`` a saccade ends at the first speed minimum
    after its peak and starts at the last one before it, where those come first: the eye has reached
    its target there, and the wobble that follows belongs to the PSO. Returns merged ``(starts, ends)``.
    """
    n = speed.size
    with np.errstate(invalid="ignore"):
        ps, pe = runs(speed > peak_dps)
        fs, fe = runs(speed >= min(onset_dps, peak_dps))  # NaN is never fast
    if ps.size == 0:
        return ps, pe
    # each peak run lies inside one run at or above the onset threshold: the saccade's widest extent
    s_on = fs[np.searchsorted(fs, ps, side="right") - 1]
    s_off = fe[np.searchsorted(fs, pe - 1, side="right") - 1]
    if at_minimum and n > 2:
        sp = np.where(np.isfinite(speed), speed, 0.0)
        prev_ge = np.ones(n, bool)  # sp[i-1] >= sp[i]
        np.greater_equal(sp[:-1], sp[1:], out=prev_ge[1:])
        next_gt = np.ones(n, bool)  # sp[i+1] > sp[i]
        np.greater(sp[1:], sp[:-1], out=next_gt[:-1])
        s_off = np.minimum(s_off, first_at_or_after(np.flatnonzero(prev_ge & next_gt), pe - 1, n) + 1)
        prev_gt = np.ones(n, bool)  # sp[i-1] > sp[i]
        np.greater(sp[:-1], sp[1:], out=prev_gt[1:])
        next_ge = np.ones(n, bool)  # sp[i+1] >= sp[i]
        np.greater_equal(sp[1:], sp[:-1], out=next_ge[:-1])
        s_on = np.maximum(s_on, last_at_or_before(np.flatnonzero(prev_gt & next_ge), ps))
    return runs(labels_from_runs(n, s_on, s_off, 1).astype(bool))


def first_at_or_after(marks: I64, at: I64, n: int) -> I64:
    """For each index in ``at``, the first of the sorted indices ``marks`` at or after it (``n`` if none);
    the look-up form of :func:`next_true` when only a few positions are asked."""
    if marks.size == 0:
        return np.full(np.shape(at), n, np.int64)
    j = np.searchsorted(marks, at, side="left")
    return np.where(j < marks.size, marks[np.minimum(j, marks.size - 1)], n)


def last_at_or_before(marks: I64, at: I64) -> I64:
    """For each index in ``at``, the last of the sorted indices ``marks`` at or before it (-1 if none)."""
    if marks.size == 0:
        return np.full(np.shape(at), -1, np.int64)
    j = np.searchsorted(marks, at, side="right") - 1
    return np.where(j >= 0, marks[np.maximum(j, 0)], -1)

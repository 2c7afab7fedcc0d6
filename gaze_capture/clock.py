"""Device-to-host clock offset estimation (NTP-style round trips, and a linear fit for drift)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .errors import EmptyInputError, InvalidSamplesError

__all__ = ["ClockOffset", "estimate_offset", "ClockFit", "fit_clock"]


@dataclass(frozen=True)
class ClockOffset:
    """``offset_ms`` = remote clock - local clock (add it to a local time to get remote time).

    ``rtt_ms`` is the round trip of the exchanges used; ``uncertainty_ms`` is half of it (the offset is
    exact to within that, whatever the path asymmetry).
    """

    offset_ms: float
    rtt_ms: float
    uncertainty_ms: float
    n_used: int


def estimate_offset(
    t_send_local_ms: ArrayLike,
    t_remote_ms: ArrayLike,
    t_recv_local_ms: ArrayLike,
    *,
    best_fraction: float = 0.25,
) -> ClockOffset:
    """Offset of a remote clock from round trips (ping: local send, remote stamp, local receive).

    Each exchange gives ``offset = t_remote - (t_send + t_recv) / 2`` with error at most ``rtt / 2``; the
    exchanges with the shortest round trips (``best_fraction`` of them, at least one) are the most
    trustworthy and their median offset is returned.

    Parameters
    ----------
    t_send_local_ms, t_remote_ms, t_recv_local_ms : array_like, shape (k,)
        Times in ms.
    best_fraction : float
        Share of exchanges (by shortest round trip) used.

    Examples
    --------
    >>> r = estimate_offset([0, 100, 200], [1005, 1110, 1203], [10, 120, 206])
    >>> r.offset_ms, r.rtt_ms
    (1000.0, 6.0)
    """
    s = np.asarray(t_send_local_ms, dtype=float)
    r = np.asarray(t_remote_ms, dtype=float)
    e = np.asarray(t_recv_local_ms, dtype=float)
    if not (s.shape == r.shape == e.shape) or s.ndim != 1:
        raise InvalidSamplesError("send, remote and receive times must be 1-D of equal length")
    if s.size == 0:
        raise EmptyInputError("no clock exchanges")
    rtt = e - s
    bad = ~np.isfinite(rtt) | (rtt < 0) | ~np.isfinite(r)
    if bad.all():
        raise InvalidSamplesError("no exchange has a finite, non-negative round trip", index=0)
    idx = np.flatnonzero(~bad)
    k = max(1, int(round(best_fraction * idx.size)))
    best = idx[np.argsort(rtt[idx], kind="stable")[:k]]
    off = r[best] - 0.5 * (s[best] + e[best])
    rt = float(np.median(rtt[best]))
    return ClockOffset(float(np.median(off)), rt, 0.5 * float(rtt[best].max()), int(k))


@dataclass(frozen=True)
class ClockFit:
    """``host = intercept_ms + slope * device`` (slope - 1 is the drift, e.g. 2e-5 = 20 ppm)."""

    slope: float
    intercept_ms: float
    residual_sd_ms: float

    def to_host(self, device_ms: ArrayLike) -> np.ndarray:
        """Map device times (ms) to host times (ms)."""
        return self.intercept_ms + self.slope * np.asarray(device_ms, dtype=float)


def fit_clock(device_ms: ArrayLike, host_ms: ArrayLike) -> ClockFit:
    """Least-squares line from device to host time, after dropping pairs delayed by more than 3 MADs.

    Host arrival times are late by a variable transport delay, never early, so the lower envelope
    matters: pairs far above the first fit are dropped and the line refitted.
    """
    d = np.asarray(device_ms, dtype=float)
    h = np.asarray(host_ms, dtype=float)
    ok = np.isfinite(d) & np.isfinite(h)
    if d.shape != h.shape or ok.sum() < 2:
        raise EmptyInputError("need at least two finite (device, host) time pairs of equal count")
    d, h = d[ok], h[ok]
    d0 = d[0]
    a, b = np.polyfit(d - d0, h, 1)
    res = h - (a * (d - d0) + b)
    mad = float(np.median(np.abs(res - np.median(res)))) or 1e-9
    keep = res <= np.median(res) + 3 * 1.4826 * mad
    if keep.sum() >= 2:
        a, b = np.polyfit(d[keep] - d0, h[keep], 1)
        res = h[keep] - (a * (d[keep] - d0) + b)
    return ClockFit(float(a), float(b - a * d0), float(np.std(res)))

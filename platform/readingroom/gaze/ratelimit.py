"""Per-session budgets of the gaze WebSocket: a token bucket of bytes, shared by a session's sockets.

Each message costs its size plus :data:`MESSAGE_OVERHEAD_BYTES` (so that a flood of tiny messages is limited
too) and is charged before it is decoded, so an over-budget sender costs the server almost nothing. The
budget refills at ``GAZE_RATE_LIMIT_BYTES_PER_S`` up to ``GAZE_RATE_LIMIT_BURST_BYTES``; the burst lets a
sender resend what it kept during a network outage at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MESSAGE_OVERHEAD_BYTES = 512


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` kept; ``clock`` returns seconds (monotonic)."""

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self, amount: float) -> float:
        """Take ``amount`` tokens: 0.0 when granted, else the seconds until they would be (nothing taken)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if amount <= self.tokens:
            self.tokens -= amount
            return 0.0
        missing = amount - self.tokens
        return missing / self.rate if self.rate > 0 else float("inf")

    def full(self) -> bool:
        """True when the bucket has refilled to its burst (it is then as good as a new one)."""
        return self.tokens + (self.clock() - self.updated) * self.rate >= self.burst


_session_buckets: dict[tuple[int, float, float], TokenBucket] = {}


def session_bucket(*, session_id: int, rate: float, burst: float) -> TokenBucket:
    """The bucket of a session in this process.

    Kept after its sockets close until it has refilled, so that reconnecting never restores a budget.
    """
    for key in [key for key, bucket in _session_buckets.items() if bucket.full()]:
        del _session_buckets[key]
    key = (session_id, float(rate), float(burst))
    bucket = _session_buckets.get(key)
    if bucket is None:
        bucket = _session_buckets[key] = TokenBucket(rate=rate, burst=burst)
    return bucket

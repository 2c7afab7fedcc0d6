"""Per-session budgets of the gaze WebSocket: token buckets of bytes, shared by a session's sockets.

Each message costs its size plus :data:`MESSAGE_OVERHEAD_BYTES` (so that a flood of tiny messages is limited
too) and is charged before it is decoded, so an over-budget sender costs the server little. The budget
refills at ``GAZE_RATE_LIMIT_BYTES_PER_S`` up to ``GAZE_RATE_LIMIT_BURST_BYTES``; the burst lets a sender
resend what it kept during a network outage at once.

Refused messages (over the budget or the size limit) draw on a second allowance, :data:`REFUSED_RATE_FACTOR`
times the rate with :data:`REFUSED_BURST_FACTOR` times the burst: enough for a sender's messages in flight
when the refusals reach it, not for a sender that ignores them, whose socket is then closed (daphne reads
every frame it is sent before the application can refuse it, so only closing stops the cost).
"""

from __future__ import annotations

import time
from collections.abc import Callable

MESSAGE_OVERHEAD_BYTES = 512
REFUSED_RATE_FACTOR = 4
REFUSED_BURST_FACTOR = 2


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


class SessionBudget:
    """A session's budget of accepted bytes and its allowance of refused bytes (see the module docstring)."""

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.accepted = TokenBucket(rate=rate, burst=burst, clock=clock)
        self.refused = TokenBucket(
            rate=REFUSED_RATE_FACTOR * rate, burst=REFUSED_BURST_FACTOR * burst, clock=clock
        )

    def full(self) -> bool:
        return self.accepted.full() and self.refused.full()


_session_budgets: dict[tuple[int, float, float], SessionBudget] = {}


def session_budget(*, session_id: int, rate: float, burst: float) -> SessionBudget:
    """The budget of a session in this process.

    Kept after its sockets close until it has refilled, so that reconnecting never restores a budget.
    """
    for key in [key for key, budget in _session_budgets.items() if budget.full()]:
        del _session_budgets[key]
    key = (session_id, float(rate), float(burst))
    budget = _session_budgets.get(key)
    if budget is None:
        budget = _session_budgets[key] = SessionBudget(rate=rate, burst=burst)
    return budget

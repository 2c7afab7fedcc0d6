"""Synthetic recordings for the gaze_capture tests (unique module name: tests have no __init__.py)."""

from __future__ import annotations

import numpy as np

from gaze_capture import Samples


def step_recording(
    positions: list[tuple[float, float]],
    fix_ms: float = 300.0,
    rate_hz: float = 500.0,
    noise_px: float = 0.0,
    seed=0,
) -> Samples:
    """Fixations of ``fix_ms`` at ``positions`` with instantaneous jumps between them."""
    dt = 1000.0 / rate_hz
    n_each = int(round(fix_ms / dt))
    rng = np.random.default_rng(seed)
    x = np.repeat([p[0] for p in positions], n_each).astype(float)
    y = np.repeat([p[1] for p in positions], n_each).astype(float)
    x += rng.normal(0, noise_px, x.size) if noise_px else 0.0
    y += rng.normal(0, noise_px, y.size) if noise_px else 0.0
    t = np.arange(x.size) * dt
    return Samples.from_arrays(t, x, y)

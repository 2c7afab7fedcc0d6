import numpy as np
import pytest

from gaze_capture import EmptyInputError
from gaze_capture.clock import estimate_offset, fit_clock


def test_offset_from_round_trips_prefers_short_ones():
    rng = np.random.default_rng(0)
    send = np.arange(0, 5000, 100.0)
    up = rng.exponential(5, send.size) + 1
    down = rng.exponential(5, send.size) + 1
    remote = send + up + 12345.0
    recv = send + up + down
    r = estimate_offset(send, remote, recv)
    assert abs(r.offset_ms - 12345.0) <= r.uncertainty_ms
    assert r.uncertainty_ms < 5


def test_fit_clock_recovers_drift_despite_late_arrivals():
    rng = np.random.default_rng(1)
    dev = np.arange(0, 600_000, 10.0)
    host = 1e6 + dev * (1 + 30e-6) + rng.exponential(2, dev.size)
    host[::97] += 200  # some batches arrive very late
    f = fit_clock(dev, host)
    assert f.slope == pytest.approx(1 + 30e-6, abs=2e-6)
    assert f.to_host(0.0) == pytest.approx(1e6 + 2, abs=2)


def test_clock_bad_input():
    with pytest.raises(EmptyInputError):
        estimate_offset([], [], [])
    with pytest.raises(EmptyInputError):
        fit_clock([1.0], [2.0])

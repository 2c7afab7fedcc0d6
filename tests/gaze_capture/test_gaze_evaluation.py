import numpy as np
import pytest

from gaze_capture import ParameterError, Samples
from gaze_capture.evaluation import degrade


def _recording():
    t = np.arange(0, 60_000, 2.0)  # 1 min at 500 Hz
    x = np.where(t < 30_000, 300.0, 600.0)
    y = np.full(t.size, 400.0)
    x[1000:1050] = np.nan  # 100 ms lost in the original
    lab = np.where(t < 30_000, 1, 2).astype(np.int8)
    return Samples.from_arrays(t, x, y), {"A": lab}


@pytest.mark.parametrize("rate_hz", [60.0, 300.0])
def test_degrade_resamples_adds_noise_at_the_requested_precision_and_loses_data(rate_hz):
    s, labels = _recording()
    d, lab = degrade(s, labels, rate_hz=rate_hz, precision_rms_deg=0.4, pixels_per_degree=30.0, seed=2)
    assert np.allclose(np.diff(d.t_ms), 1000.0 / rate_hz)
    assert lab["A"].shape == (len(d),)
    assert (lab["A"][d.t_ms < 29_990] == 1).all() and (lab["A"][d.t_ms > 30_010] == 2).all()
    # RMS sample-to-sample distance of consecutive valid samples within the first half, in degrees
    ok = d.valid[:-1] & d.valid[1:] & (d.t_ms[1:] < 29_000)
    s2s = np.hypot(np.diff(d.x), np.diff(d.y))[ok] / 30.0
    assert np.sqrt(np.mean(s2s**2)) == pytest.approx(0.4, rel=0.1)
    # the original loss stays lost, and dropouts add several percent more
    assert not d.valid[(d.t_ms >= 2000) & (d.t_ms < 2100)].any()
    assert 0.03 < (~d.valid).mean() < 0.2


def test_degrade_rejects_bad_parameters():
    s, labels = _recording()
    with pytest.raises(ParameterError, match="rate_hz"):
        degrade(s, labels, rate_hz=0, precision_rms_deg=0.4, pixels_per_degree=30.0)
    with pytest.raises(ParameterError, match="precision_rms_deg"):
        degrade(s, labels, rate_hz=60, precision_rms_deg=-1, pixels_per_degree=30.0)

"""The simulated tracker's validation samples have the accuracy, precision and data loss they are made with."""

from __future__ import annotations

import pytest

from gaze_capture import ParameterError, ScreenGeometry
from gaze_capture.quality import validate
from gaze_capture.simulate_validation import nine_point_targets, simulate_validation

G = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def test_a_good_simulated_tracker_passes_with_its_precision():
    samples, targets = simulate_validation(nine_point_targets(G), geometry=G, precision_rms_deg=0.05, seed=3)
    result = validate(samples, targets, geometry=G)
    assert result.passed(max_accuracy_deg=0.5)
    assert result.precision_rms_s2s_deg == pytest.approx(0.05, rel=0.15)
    assert result.data_loss_pct == 0.0 and len(result.targets) == 9


def test_offset_and_data_loss_make_it_fail():
    samples, targets = simulate_validation([(960.0, 540.0)], geometry=G, offset_deg=(0.0, 2.0), data_loss=0.3)
    result = validate(samples, targets, geometry=G)
    assert result.accuracy_deg == pytest.approx(2.0, abs=0.05)  # at the centre the offset is exact
    assert result.data_loss_pct == pytest.approx(30.0, abs=5.0)
    assert not result.passed(max_accuracy_deg=1.5)


def test_the_eye_reaches_each_target_after_the_latency():
    samples, targets = simulate_validation([(100.0, 100.0), (1800.0, 900.0)], geometry=G, latency_ms=250.0,
                                           precision_rms_deg=0.0)  # fmt: skip
    second = targets[1]
    before = (samples.t_ms >= second.t_on_ms) & (samples.t_ms < second.t_on_ms + 250.0)
    after = samples.t_ms >= second.t_on_ms + 250.0
    assert (samples.x[before] == 100.0).all() and (samples.x[after] == 1800.0).all()


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="at least one point"):
        simulate_validation([], geometry=G)
    with pytest.raises(ParameterError, match="data_loss"):
        simulate_validation([(1.0, 1.0)], geometry=G, data_loss=1.0)

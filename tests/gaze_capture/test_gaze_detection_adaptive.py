import numpy as np
import pytest

from gaze_capture import EventLabel, ParameterError, Samples, detect, detector_names, segment
from gaze_capture.evaluation import cohen_kappa

PPD = 30.0


def saccade_trace(rate_hz=500.0, seed=0):
    """Fixation, 10-degree saccade with a damped overshoot (PSO), fixation, then 10 deg/s pursuit."""
    dt = 1000.0 / rate_hz
    t = np.arange(0, 2400, dt)
    x = np.full(t.size, 200.0)
    # saccade of 300 px centred at 500 ms (logistic, ~40 ms)
    x += 300 / (1 + np.exp(-(t - 500) / 5))
    # damped oscillation right after the saccade
    after = (t > 520) & (t < 560)
    x[after] += 8 * np.sin((t[after] - 520) / 40 * 2 * np.pi) * np.exp(-(t[after] - 520) / 15)
    # pursuit from 1200 to 2400 ms at 10 deg/s
    pur = t >= 1200
    x[pur] += (t[pur] - 1200) * 1e-3 * 10 * PPD
    rng = np.random.default_rng(seed)
    x += rng.normal(0, 0.3, t.size)
    y = 300 + rng.normal(0, 0.3, t.size)
    return t, x, y


def test_adaptive_labels_saccade_pso_fixation_and_pursuit():
    t, x, y = saccade_trace()
    seg = segment("adaptive", Samples.from_arrays(t, x, y), pixels_per_degree=PPD)
    lab = seg.labels
    assert (lab[(t > 100) & (t < 450)] == EventLabel.FIXATION).all()
    assert (lab[(t > 490) & (t < 510)] == EventLabel.SACCADE).all()
    # the pursuit estimate uses a 300-ms window, so the fixation ends up to 150 ms early
    assert (lab[(t > 600) & (t < 1040)] == EventLabel.FIXATION).all()
    assert (lab[(t > 1500) & (t < 2300)] == EventLabel.PURSUIT).mean() > 0.95
    assert (lab == EventLabel.PSO).any()
    assert len(seg.saccades) == 1
    assert seg.saccades.amplitude_deg[0] == pytest.approx(10.0, abs=0.5)
    assert 200 < seg.saccades.peak_velocity_dps[0] < 600
    assert len(seg.fixations) == 2 and seg.fixations.x[0] == pytest.approx(200, abs=1)


def test_adaptive_pursuit_needs_a_moving_context():
    # slow drift inside an otherwise static recording is fixation, not pursuit
    t = np.arange(0, 10000, 2.0)
    rng = np.random.default_rng(3)
    x = 500 + rng.normal(0, 0.3, t.size)
    drift = (t > 4000) & (t < 4400)
    x[drift] += (t[drift] - 4000) * 1e-3 * 3 * PPD
    x[t >= 4400] += 0.4 * 3 * PPD
    seg = segment("adaptive", Samples.from_arrays(t, x, np.full_like(t, 300.0)), pixels_per_degree=PPD)
    assert (seg.labels == EventLabel.PURSUIT).sum() == 0
    with_ctx_off = segment(
        "adaptive",
        Samples.from_arrays(t, x, np.full_like(t, 300.0)),
        pixels_per_degree=PPD,
        min_pursuit_share=0,
    )
    assert (with_ctx_off.labels == EventLabel.PURSUIT).sum() > 0


def test_adaptive_blinks_and_rates():
    t, x, y = saccade_trace(rate_hz=1000.0)
    x[(t > 800) & (t < 900)] = np.nan
    seg = segment("adaptive", Samples.from_arrays(t, x, y), pixels_per_degree=PPD)
    assert (seg.labels[(t > 800) & (t < 900)] == EventLabel.BLINK).all()
    t2, x2, y2 = saccade_trace(rate_hz=250.0)
    seg2 = segment("adaptive", Samples.from_arrays(t2, x2, y2), pixels_per_degree=PPD)
    assert len(seg2.saccades) == 1


def test_idt_known_answer_and_split_of_touching_fixations():
    t = np.arange(0, 900, 2.0)
    x = np.select([t < 300, t < 600], [100.0, 160.0], 600.0)
    fx = detect("idt", Samples.from_arrays(t, x, np.zeros_like(t)), pixels_per_degree=PPD)
    assert fx.x.round().tolist() == [100.0, 160.0, 600.0]
    fx2 = detect(
        "idt", Samples.from_arrays(t, x, np.zeros_like(t)), pixels_per_degree=PPD, dispersion_threshold_deg=3
    )
    assert fx2.x.round().tolist() == [130.0, 600.0]  # 2 degrees apart: within a 3-degree dispersion


def test_registry_lists_all_and_rejects_bad_params():
    assert {"ivt", "idt", "adaptive"} <= set(detector_names())
    s = Samples.from_arrays(np.arange(100.0), np.zeros(100), np.zeros(100))
    with pytest.raises(ParameterError, match="pursuit_speed_dps"):
        segment("adaptive", s, pixels_per_degree=PPD, pursuit_speed_dps=0)
    with pytest.raises(TypeError):
        segment("idt", s, pixels_per_degree=PPD, velocity_threshold_dps=3)


def test_cohen_kappa_known_values():
    assert cohen_kappa([1, 0, 1, 0], [0, 1, 0, 1]) == pytest.approx(-1.0)
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) == 1.0


def test_adaptive_labels_blinks_only_where_data_is_lost():
    t, x, y = saccade_trace(rate_hz=1000.0)
    blink = (t >= 800) & (t < 950)
    dropout = (t >= 300) & (t < 320)
    x[blink | dropout] = np.nan
    seg = segment("adaptive", Samples.from_arrays(t, x, y), pixels_per_degree=PPD)
    np.testing.assert_array_equal(seg.labels == EventLabel.BLINK, blink)
    assert (seg.labels[dropout] == EventLabel.UNCLASSIFIED).all()
    # the samples around the loss, whose velocity is an interpolation artefact, are left unclassified
    margin = ((t >= 780) & (t < 800)) | ((t >= 950) & (t < 990))
    assert (seg.labels[margin] == EventLabel.UNCLASSIFIED).all()

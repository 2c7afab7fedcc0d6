import numpy as np
import pytest

from gaze_capture import EventLabel, ParameterError, ScreenGeometry, View, segment
from gaze_capture.metrics import ROI
from gaze_capture.simulate import ReaderConfig, main_sequence_peak_velocity, simulate_reading

G = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
VIEW = View(0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000))


@pytest.mark.parametrize("rate", [60.0, 500.0, 2000.0])
def test_rates_and_lengths(rate):
    sim = simulate_reading(3000, view=VIEW, geometry=G, config=ReaderConfig(rate_hz=rate))
    assert len(sim.samples) == int(3000 * rate / 1000)
    assert sim.labels.shape == (len(sim.samples),)


def test_bad_config():
    with pytest.raises(ParameterError, match="rate_hz"):
        ReaderConfig(rate_hz=30)
    with pytest.raises(ParameterError, match="roi_probability"):
        ReaderConfig(roi_probability=1.5)


def test_precision_duration_skew_and_main_sequence():
    cfg = ReaderConfig(
        rate_hz=1000.0, precision_rms_deg=0.05, drift_dps=0.0, blink_rate_per_min=0, dropout_rate_per_s=0
    )
    sim = simulate_reading(60000, view=VIEW, geometry=G, config=cfg, seed=4)
    fix = (sim.labels[1:] == EventLabel.FIXATION) & (sim.labels[:-1] == EventLabel.FIXATION)
    d = np.hypot(np.diff(sim.samples.x), np.diff(sim.samples.y))[fix] / G.pixels_per_degree
    assert np.sqrt(np.mean(d**2)) == pytest.approx(0.05, rel=0.05)
    dur = sim.fixations.duration_ms
    assert np.mean(dur) > np.median(dur) and 200 < np.median(dur) < 330
    assert np.allclose(
        sim.saccades.peak_velocity_dps, main_sequence_peak_velocity(sim.saccades.amplitude_deg, cfg)
    )
    # detected saccades follow the simulated main sequence
    seg = segment("adaptive", sim.samples, pixels_per_degree=G.pixels_per_degree)
    big = seg.saccades.amplitude_deg > 3
    expected = main_sequence_peak_velocity(seg.saccades.amplitude_deg[big], cfg)
    assert np.median(seg.saccades.peak_velocity_dps[big] / expected) == pytest.approx(1.0, abs=0.25)


def test_blinks_loss_and_roi_dwell():
    cfg = ReaderConfig(rate_hz=250.0, blink_rate_per_min=30, roi_probability=1.0)
    roi = ROI("nodule", box=(1200, 400, 1500, 700))
    sim = simulate_reading(30000, view=VIEW, geometry=G, rois=[roi], config=cfg, seed=2)
    assert (~sim.samples.valid).any()
    assert (sim.labels[~sim.samples.valid] != EventLabel.FIXATION).all()
    inside = roi.contains(sim.fixations_image.x[1:], sim.fixations_image.y[1:])
    assert inside.mean() > 0.95


def test_reproducible_with_seed():
    a = simulate_reading(2000, view=VIEW, geometry=G, seed=7)
    b = simulate_reading(2000, view=VIEW, geometry=G, seed=7)
    assert np.array_equal(a.samples.x, b.samples.x, equal_nan=True)


@pytest.mark.parametrize("rate", [60.0, 2000.0])
@pytest.mark.parametrize("method", ["ivt", "idt", "adaptive"])
def test_detectors_recover_simulated_fixations_at_webcam_and_lab_rates(rate, method):
    from gaze_capture.evaluation import cohen_kappa

    precision = 0.1 if rate <= 120 else 0.03
    sim = simulate_reading(
        20000, view=VIEW, geometry=G, config=ReaderConfig(rate_hz=rate, precision_rms_deg=precision)
    )
    seg = segment(method, sim.samples, pixels_per_degree=G.pixels_per_degree)
    assert abs(len(seg.fixations) - len(sim.fixations)) <= 0.15 * len(sim.fixations)
    kappa = cohen_kappa(seg.labels == EventLabel.FIXATION, sim.labels == EventLabel.FIXATION)
    assert kappa > (0.45 if method == "idt" else 0.65)


def test_fixations_cover_the_recording_when_the_first_draws_end_early():
    # with a wide duration spread, seed 17's first fixations end before 3 s: the timeline must be extended
    # (it used to index one saccade past the end: the crash of `python -m cogaze evaluate --data phantoms:64`)
    cfg = ReaderConfig(rate_hz=60.0, fixation_log_sd=1.5)
    sim = simulate_reading(3000, view=VIEW, geometry=G, config=cfg, seed=17)
    assert len(sim.samples) == 180
    assert sim.fixations.offset_ms[-1] == pytest.approx(3000.0)
    assert np.all(np.isfinite(sim.samples.x[sim.samples.valid]))
    assert len(sim.saccades) == len(sim.fixations) - 1

"""AVT, the default detector: noise-adapted thresholds, drift as fixation, lost samples never fixation or
saccade, blinks only where data is lost."""

import numpy as np
import pytest
from gaze_testutil import step_recording

from gaze_capture import EventLabel, ParameterError, Samples, segment
from gaze_capture.detection.avt import iterated_peak_threshold

PPD = 30.0


def test_avt_finds_known_fixations_and_saccades():
    pos = [(100, 100), (400, 120), (700, 500), (200, 600)]
    s = step_recording(pos, fix_ms=400, rate_hz=500, noise_px=0.5)
    seg = segment("avt", s, pixels_per_degree=PPD)
    assert len(seg.fixations) == 4 and len(seg.saccades) == 3
    assert np.allclose(seg.fixations.x, [p[0] for p in pos], atol=0.5)
    assert (seg.fixations.duration_ms > 350).all()


@pytest.mark.parametrize("rate_hz", [60.0, 300.0, 1000.0])
@pytest.mark.parametrize("lost", [[50], [50, 51], [0], [-1], list(range(40, 45))])
def test_avt_never_labels_a_lost_sample_fixation_or_saccade(rate_hz, lost):
    s = step_recording([(100, 100), (400, 100)], fix_ms=600, rate_hz=rate_hz, noise_px=0.5)
    x = s.x.copy()
    x[lost] = np.nan
    seg = segment("avt", Samples.from_arrays(s.t_ms, x, s.y), pixels_per_degree=PPD)
    assert not np.isin(seg.labels[lost], [EventLabel.FIXATION, EventLabel.SACCADE, EventLabel.PSO]).any()


@pytest.mark.parametrize("rate_hz", [300.0, 1000.0])
def test_avt_blinks_only_where_data_is_lost(rate_hz):
    s = step_recording([(100, 100)], fix_ms=2000, rate_hz=rate_hz, noise_px=0.5)
    x, y = s.x.copy(), s.y.copy()
    blink = (s.t_ms >= 800) & (s.t_ms < 950)  # 150 ms blink
    dropout = (s.t_ms >= 1500) & (s.t_ms < 1520)  # 20 ms dropout: lost, but no blink
    x[blink | dropout] = np.nan
    y[blink | dropout] = np.nan
    seg = segment("avt", Samples.from_arrays(s.t_ms, x, y), pixels_per_degree=PPD)
    np.testing.assert_array_equal(seg.labels == EventLabel.BLINK, blink)
    assert (seg.labels[dropout] == EventLabel.UNCLASSIFIED).all()
    recorded = ~(blink | dropout)
    assert (seg.labels[recorded] == EventLabel.FIXATION).all()
    # the fixation table bridges the short dropout, not the blink
    assert len(seg.fixations) == 2


def test_avt_counts_slow_drift_on_a_static_image_as_fixation():
    t = np.arange(0, 3000, 2.0)
    rng = np.random.default_rng(3)
    x = 500 + rng.normal(0, 0.3, t.size) + np.clip(t - 1000, 0, 1000) * 1e-3 * 3 * PPD  # 3 deg/s drift
    seg = segment("avt", Samples.from_arrays(t, x, np.full_like(t, 300.0)), pixels_per_degree=PPD)
    assert (seg.labels == EventLabel.FIXATION).mean() > 0.99
    assert len(seg.fixations) == 1


def test_avt_threshold_follows_the_recording_noise():
    # a remote tracker's noise (0.5 deg RMS sample to sample at 300 Hz) must not be taken for saccades
    quiet = step_recording([(100, 100), (500, 100)], fix_ms=3000, rate_hz=300, noise_px=0.03 * PPD, seed=1)
    noisy = step_recording([(100, 100), (500, 100)], fix_ms=3000, rate_hz=300, noise_px=0.35 * PPD, seed=1)
    seg_q = segment("avt", quiet, pixels_per_degree=PPD)
    seg_n = segment("avt", noisy, pixels_per_degree=PPD)
    assert len(seg_q.saccades) == 1 and len(seg_n.saccades) == 1
    assert len(seg_n.fixations) == 2
    assert (seg_n.labels == EventLabel.FIXATION).mean() > 0.95
    ivt_n = segment("ivt", noisy, pixels_per_degree=PPD)
    assert (ivt_n.labels == EventLabel.FIXATION).mean() < 0.5  # a fixed 30 deg/s threshold is swamped


def test_iterated_peak_threshold_settles_on_noise_and_ignores_nan():
    rng = np.random.default_rng(0)
    v = np.abs(rng.normal(0, 10, 50_000))
    v[::100] = np.nan
    v[::97] = 400.0  # saccade samples above the start value do not enter the estimate
    pt, mean, sd = iterated_peak_threshold(v, start_dps=100.0, sd_factor=6.0)
    below = v[np.isfinite(v) & (v < pt)]
    assert pt == pytest.approx(below.mean() + 6 * below.std(), abs=0.2)
    assert mean == pytest.approx(below.mean(), abs=0.05)
    # a noisier recording starts higher and settles higher
    pt2, _, _ = iterated_peak_threshold(v * 10, start_dps=100.0, sd_factor=6.0, start_median_factor=10.0)
    assert pt2 == pytest.approx(10 * pt, rel=0.05)


def test_avt_rejects_bad_parameters():
    s = step_recording([(1, 1)], fix_ms=100)
    with pytest.raises(ParameterError, match="peak_sd_factor"):
        segment("avt", s, pixels_per_degree=PPD, peak_sd_factor=0)
    with pytest.raises(ParameterError, match="onset_sd_factor"):
        segment("avt", s, pixels_per_degree=PPD, onset_sd_factor=7)


def test_robust_noise_estimate_resists_saccade_flanks_below_the_threshold():
    rng = np.random.default_rng(1)
    noise = np.hypot(rng.normal(0, 5, 90_000), rng.normal(0, 5, 90_000))  # fixation jitter, deg/s
    flanks = rng.uniform(30, 95, 10_000)  # saccade flanks and PSOs, below the start value
    v = np.concatenate([noise, flanks])
    pt_sd, _, _ = iterated_peak_threshold(v, start_dps=100.0, sd_factor=6.0)
    pt_mad, centre, _ = iterated_peak_threshold(v, start_dps=100.0, sd_factor=6.0, robust=True)
    assert centre == pytest.approx(np.median(noise), rel=0.1)
    assert pt_mad < 45 < pt_sd  # the noise alone stays below about 20 deg/s
    assert (noise < pt_mad).mean() > 0.999


def test_avt_on_noise_free_samples_keeps_the_saccade_short():
    # no noise at all: the noise estimate is a spread of exact zeros, and the saccade must still end
    t = np.arange(0, 1200, 2.0)
    s = Samples.from_arrays(t, np.where(t < 600, 700.0, 1200.0), np.full(t.size, 500.0))
    seg = segment("avt", s, pixels_per_degree=PPD)
    assert len(seg.fixations) == 2 and len(seg.saccades) == 1
    assert seg.saccades.duration_ms[0] <= 20


def test_fill_gaps_interpolates_each_lost_run_and_holds_the_ends():
    from gaze_capture.detection._common import fill_gaps

    v = np.array([np.nan, np.nan, 1.0, np.nan, np.nan, np.nan, 5.0, 6.0, np.nan])
    np.testing.assert_allclose(fill_gaps(v), [1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0])
    assert (fill_gaps(np.full(4, np.nan)) == 0).all()
    ok = np.arange(5.0)
    assert fill_gaps(ok) is ok

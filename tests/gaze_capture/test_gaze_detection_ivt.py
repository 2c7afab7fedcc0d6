import numpy as np
import pytest
from gaze_testutil import step_recording

from gaze_capture import (
    EmptyInputError,
    EventLabel,
    ParameterError,
    Samples,
    UnknownNameError,
    detect,
    segment,
)


def test_ivt_finds_known_fixations():
    pos = [(100, 100), (400, 120), (700, 500), (200, 600)]
    s = step_recording(pos, fix_ms=300, rate_hz=500, noise_px=0.5)
    fx = detect("ivt", s, pixels_per_degree=30.0)
    assert len(fx) == 4
    assert np.allclose(fx.x, [p[0] for p in pos], atol=0.5)
    assert np.allclose(fx.y, [p[1] for p in pos], atol=0.5)
    # each fixation loses the one or two samples at each jump (central-difference velocity)
    assert ((fx.duration_ms > 290) & (fx.duration_ms <= 300)).all()
    assert (np.diff(fx.onset_ms) > 0).all() and (fx.offset_ms > fx.onset_ms).all()


def test_ivt_labels_saccades_and_blinks():
    s = step_recording([(100, 100), (600, 100)], fix_ms=300, rate_hz=500)
    x = s.x.copy()
    x[50:100] = np.nan  # 100 ms of lost data in the first fixation
    s2 = Samples.from_arrays(s.t_ms, x, s.y)
    seg = segment("ivt", s2, pixels_per_degree=30.0)
    assert (seg.labels[55:95] == EventLabel.BLINK).all()
    assert (seg.labels[148:152] == EventLabel.SACCADE).any()
    assert len(seg.saccades) == 1 and seg.saccades.amplitude_deg[0] == pytest.approx(500 / 30, rel=0.05)


def test_merge_bridges_short_loss_and_min_duration_drops_blips():
    s = step_recording([(100, 100)], fix_ms=600, rate_hz=500)
    x = s.x.copy()
    x[100:110] = np.nan  # 20 ms gap
    fx = detect("ivt", Samples.from_arrays(s.t_ms, x, s.y), pixels_per_degree=30.0)
    assert len(fx) == 1
    fx2 = detect("ivt", Samples.from_arrays(s.t_ms, x, s.y), pixels_per_degree=30.0, merge_gap_ms=0)
    assert len(fx2) == 2
    fx3 = detect(
        "ivt",
        Samples.from_arrays(s.t_ms, x, s.y),
        pixels_per_degree=30.0,
        merge_gap_ms=0,
        min_fixation_ms=250,
    )
    assert len(fx3) == 1


def test_registry_and_bad_input():
    s = step_recording([(1, 1)], fix_ms=100)
    with pytest.raises(UnknownNameError, match="ivt"):
        detect("nope", s, pixels_per_degree=30.0)
    with pytest.raises(EmptyInputError):
        detect("ivt", Samples.from_arrays([], [], []), pixels_per_degree=30.0)
    with pytest.raises(ParameterError, match="velocity_threshold_dps"):
        detect("ivt", s, pixels_per_degree=30.0, velocity_threshold_dps=-1)
    with pytest.raises(ParameterError, match="pixels_per_degree"):
        detect("ivt", s, pixels_per_degree=0.0)


@pytest.mark.parametrize("lost", [[150], [10, 11], [0], [299]])
def test_ivt_never_labels_a_lost_sample_fixation_or_saccade(lost):
    # a lost sample has no position, so no speed: its neighbours must not lend it one
    s = step_recording([(100, 100), (100, 100)], fix_ms=300, rate_hz=500)
    x = s.x.copy()
    x[lost] = np.nan
    seg = segment("ivt", Samples.from_arrays(s.t_ms, x, s.y), pixels_per_degree=30.0)
    assert not np.isin(seg.labels[lost], [EventLabel.FIXATION, EventLabel.SACCADE]).any()
    # shorter than a blink: unclassified, and the fixation around it is still one fixation
    assert (seg.labels[lost] == EventLabel.UNCLASSIFIED).all()
    assert len(seg.fixations) == 1


def test_run_means_are_exact_on_constant_runs_and_nan_on_lost_ones():
    from gaze_capture.detection._common import RunMeans

    n = 1_000_000
    x = np.where(np.arange(n) < n // 2, 140.0, 250.0)
    x[10:20] = np.nan
    s = Samples.from_arrays(np.arange(n, dtype=float), x, np.full(n, 300.0))
    mx, my = RunMeans(s).means(np.array([3, 10, n - 93]), np.array([10, 20, n]))
    assert mx[0] == 140.0 and mx[2] == 250.0 and my[2] == 300.0  # exact, not merely close
    assert np.isnan(mx[1]) and np.isnan(my[1])

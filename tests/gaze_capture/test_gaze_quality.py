import numpy as np
import pytest

from gaze_capture import EmptyInputError, Samples, ScreenGeometry
from gaze_capture.quality import Target, drift_check, validate

G = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)


def recording(targets, offset_px=(0.0, 0.0), noise_px=0.0, loss_every=0, seed=0):
    rng = np.random.default_rng(seed)
    t, x, y = [], [], []
    for tg in targets:
        tt = np.arange(tg.t_on_ms, tg.t_off_ms, 2.0)
        t.append(tt)
        x.append(tg.x + offset_px[0] + rng.normal(0, noise_px, tt.size))
        y.append(tg.y + offset_px[1] + rng.normal(0, noise_px, tt.size))
    t, x, y = map(np.concatenate, (t, x, y))
    valid = np.ones(t.size, bool)
    if loss_every:
        valid[::loss_every] = False
    return Samples.from_arrays(t, x, y, valid)


TARGETS = [Target(200, 200, 0, 1500), Target(960, 540, 1500, 3000), Target(1700, 900, 3000, 4500)]


def test_accuracy_precision_and_loss_known_values():
    s = recording(TARGETS, offset_px=(G.ppd_x * 0.5, 0.0), noise_px=0.0, loss_every=10)
    r = validate(s, TARGETS, geometry=G)
    # half a degree at the centre; slightly less off-centre where a pixel subtends less
    assert r.targets[1].accuracy_deg == pytest.approx(0.5, abs=0.01)
    assert 0.4 < r.targets[0].accuracy_deg < 0.5
    assert r.data_loss_pct == pytest.approx(10.0, abs=0.5)
    assert r.precision_rms_s2s_deg == pytest.approx(0.0, abs=1e-9)
    assert r.passed(max_accuracy_deg=1.0) and not r.passed(max_accuracy_deg=0.3)


def test_precision_matches_noise_level():
    s = recording(TARGETS, noise_px=G.ppd_x * 0.1, seed=2)
    r = validate(s, TARGETS, geometry=G)
    # white noise of SD s per axis: RMS-S2S = 2 s (sqrt 2 per axis, 2 axes), SD = sqrt(2) s
    assert r.targets[1].precision_rms_s2s_deg == pytest.approx(0.2, rel=0.08)
    assert r.targets[1].precision_sd_deg == pytest.approx(0.1 * np.sqrt(2), rel=0.08)
    assert r.accuracy_deg < 0.05


def test_target_without_samples_counts_as_lost_and_empty_raises():
    s = recording(TARGETS[:2])
    r = validate(s, TARGETS, geometry=G)
    assert np.isnan(r.targets[2].accuracy_deg) and r.targets[2].data_loss_pct == 100.0
    with pytest.raises(EmptyInputError):
        validate(s, [], geometry=G)
    with pytest.raises(EmptyInputError):
        validate(s, [Target(1, 1, 10_000, 11_000)], geometry=G)


def test_drift_check():
    tg = Target(960, 540, 0, 1000)
    ok = drift_check(recording([tg], offset_px=(10, 0)), tg, geometry=G)
    assert ok.passed and ok.dx_px == pytest.approx(10.0)
    bad = drift_check(recording([tg], offset_px=(3 * G.ppd_x, 0)), tg, geometry=G)
    assert not bad.passed and bad.offset_deg == pytest.approx(3.0, abs=0.05)

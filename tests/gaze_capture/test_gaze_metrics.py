import numpy as np
import pytest

from gaze_capture import Fixations, GeometryError
from gaze_capture.metrics import ROI, coverage, roi_metrics, scanpath_length


def fx(xs, ys, durs, start=1000.0):
    on = start + np.concatenate(([0], np.cumsum(np.asarray(durs[:-1]) + 50)))
    return Fixations(onset_ms=on, offset_ms=on + durs, duration_ms=durs, x=xs, y=ys)


def test_roi_metrics_box_and_mask():
    f = fx([10, 90, 15, 20, 90], [10, 10, 12, 14, 90], [200.0, 300.0, 250.0, 100.0, 400.0])
    mask = np.zeros((100, 100), bool)
    mask[80:, 80:] = True
    m = roi_metrics(
        f,
        [ROI("a", box=(0, 0, 50, 50)), ROI("m", mask=mask), ROI("never", box=(40, 40, 45, 45))],
        t0_ms=900.0,
    )
    assert m["a"].fixation_count == 3 and m["a"].dwell_ms == 550.0
    assert m["a"].visits == 2 and m["a"].revisits == 1
    assert m["a"].time_to_first_fixation_ms == 100.0 and m["a"].first_fixation_duration_ms == 200.0
    assert m["m"].fixation_count == 1 and m["m"].dwell_ms == 400.0 and m["m"].revisits == 0
    assert np.isnan(m["never"].time_to_first_fixation_ms) and m["never"].visits == 0


def test_coverage_and_scanpath():
    f = fx([25.0], [25.0], [300.0])
    box = ROI("lung", box=(0, 0, 50, 50))
    c = coverage(f, box, image_shape=(100, 100), radius_px=10)
    assert c == pytest.approx(np.pi * 10**2 / 2500, rel=0.05)
    assert coverage(fx([500.0], [500.0], [1.0]), box, image_shape=(100, 100), radius_px=10) == 0.0
    assert scanpath_length(fx([0, 30, 30], [0, 40, 0], [1.0, 1.0, 1.0])) == 90.0
    assert scanpath_length(fx([0, 30], [0, 40], [1.0, 1.0]), pixels_per_unit=5.0) == 10.0


def test_roi_validation():
    with pytest.raises(GeometryError):
        ROI("x")
    with pytest.raises(GeometryError):
        ROI("x", box=(0, 0, -1, 5))

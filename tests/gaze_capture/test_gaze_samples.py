import numpy as np
import pytest

from gaze_capture import Fixations, GazeCaptureError, InvalidSamplesError, NonMonotonicTimeError, Samples


def test_from_arrays_marks_nan_invalid_and_keeps_columns():
    s = Samples.from_arrays(
        [0, 1, 2, 3], [1, np.nan, 3, 4], [1, 2, np.inf, 4], valid=[1, 1, 1, 0], pupil=[3, 3, 3, 3]
    )
    assert s.valid.tolist() == [True, False, False, False]
    assert np.isnan(s.x[1:]).all() and s.x[0] == 1
    assert s.pupil is not None and s.pupil.dtype == np.float64
    assert len(s) == 4 and s.duration_ms == 3.0 and s.sampling_rate_hz == 1000.0


def test_non_monotonic_time_names_the_index():
    with pytest.raises(NonMonotonicTimeError, match="sample index 3") as exc:
        Samples.from_arrays([0, 1, 2, 1.5, 4], [0] * 5, [0] * 5)
    assert exc.value.index == 3
    assert isinstance(exc.value, GazeCaptureError)


def test_nan_time_is_rejected_with_index():
    with pytest.raises(NonMonotonicTimeError, match="sample index 1"):
        Samples.from_arrays([0, np.nan, 2], [0] * 3, [0] * 3)


@pytest.mark.parametrize("field", ["x", "y", "valid", "pupil"])
def test_length_mismatch_names_the_field(field):
    kw = dict(t_ms=[0, 1, 2], x=[0, 0, 0], y=[0, 0, 0], valid=[1, 1, 1], pupil=[1, 1, 1])
    kw[field] = kw[field][:2]
    with pytest.raises(InvalidSamplesError, match=repr(field)):
        Samples.from_arrays(**kw)


def test_equal_timestamps_are_allowed_and_empty_is_allowed():
    assert len(Samples.from_arrays([0, 0, 1], [0, 0, 0], [0, 0, 0])) == 3
    assert len(Samples.from_arrays([], [], [])) == 0


def test_mask_concatenate_and_off_screen():
    s = Samples.from_arrays([0, 1, 2], [10, -5, 2000], [10, 10, 10])
    on = s.with_invalid_outside(1920, 1080)
    assert on.valid.tolist() == [True, False, False]
    both = Samples.concatenate([s.mask([True, False, False]), s.mask([False, True, True])])
    assert both.t_ms.tolist() == [0, 1, 2]
    with pytest.raises(NonMonotonicTimeError):
        Samples.concatenate([s.mask([False, True, True]), s.mask([True, False, False])])


def test_fixations_mask_and_len():
    f = Fixations(onset_ms=[0, 100], offset_ms=[50, 300], duration_ms=[50, 200], x=[1, 2], y=[3, 4])
    assert len(f) == 2
    g = f.mask(f.duration_ms > 100)
    assert isinstance(g, Fixations) and len(g) == 1 and g.x.tolist() == [2.0]
    with pytest.raises(InvalidSamplesError, match="'x'"):
        Fixations(onset_ms=[0], offset_ms=[1], duration_ms=[1], x=[1, 2], y=[1])


def test_binocular_cyclopean():
    from gaze_capture import BinocularSamples

    t = [0, 1, 2, 3]
    left = Samples.from_arrays(t, [10, 10, np.nan, np.nan], [0, 0, 0, 0], pupil=[3, 3, 3, 3])
    right = Samples.from_arrays(t, [20, np.nan, 30, np.nan], [2, 2, 2, 2], pupil=[5, 5, 5, 5])
    c = BinocularSamples(left, right).cyclopean()
    assert c.valid.tolist() == [True, True, True, False]
    assert c.x[:3].tolist() == [15.0, 10.0, 30.0] and c.pupil[0] == 4.0
    with pytest.raises(InvalidSamplesError, match="same timestamps"):
        BinocularSamples(left, Samples.from_arrays([0, 1, 2, 4], [0] * 4, [0] * 4))

"""Validation of incoming gaze batches and view events: every bad field is named."""

from __future__ import annotations

import pytest

from readingroom.core.exceptions import InvalidInput
from readingroom.gaze.batches import parse_gaze_batch, parse_view_message


def batch(**overrides):
    message = {
        "type": "gaze_batch",
        "seq": 3,
        "device": "simulator",
        "samples": {
            "t": [0.0, 4.0, 8.0],
            "x": [10.0, None, 12.0],
            "y": [5.0, 6.0, 7.0],
            "valid": [True, True, False],
        },
    }
    message.update(overrides)
    return message


def test_valid_batch_keeps_device_times_and_marks_missing_samples_invalid():
    parsed = parse_gaze_batch(batch(), max_samples=100)
    assert parsed.seq == 3 and parsed.n_samples == 3
    assert parsed.data[0].tolist() == [0.0, 4.0, 8.0]
    assert parsed.data[3].tolist() == [1.0, 0.0, 0.0]  # null x -> invalid; valid=False kept


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"seq": -1}, "seq must be an integer from 0 to"),
        ({"seq": "7"}, "seq must be an integer from 0 to"),
        ({"samples": None}, "samples must be an object"),
        ({"samples": {"t": [0, 1], "x": [1], "y": [1, 2]}}, "differ in length"),
        ({"samples": {"t": [0, 5, 3], "x": [1, 1, 1], "y": [1, 1, 1]}}, r"samples.t\[2\] goes back in time"),
        ({"samples": {"t": [0, "a"], "x": [1, 1], "y": [1, 1]}}, "samples.t must hold numbers"),
        ({"samples": {"t": [0, None], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[1\] is not a finite number"),
        ({"samples": {"t": [], "x": [], "y": []}}, "samples.t is empty"),
        ({"samples": {"t": [0, 1], "x": [True, 1], "y": [1, 1]}}, "not booleans"),
        ({"samples": {"t": [0, 1], "x": [1, 1], "y": [1, 1], "valid": [1, 0]}}, "only true/false"),
        ({"device": ""}, "device must be a string"),
        ({"seq": 2**31}, "seq must be an integer from 0 to 2147483647"),
        ({"seq": 2**64}, "seq must be an integer from 0 to 2147483647"),
        ({"seq": True}, "seq must be an integer"),
        ({"device": "sim\x00ulator"}, "device must not hold control characters"),
        ({"device": "sim\nulator"}, "device must not hold control characters"),
        ({"device": "d" * 65}, "device must be a string of 1 to 64 characters"),
        ({"stream": "a\x00b"}, "stream must be up to 64"),
        ({"stream": "s" * 65}, "stream must be up to 64"),
        (
            {"samples": {"t": [[1], [2]], "x": [1, 1], "y": [1, 1]}},
            "samples.t must be a flat list of numbers",
        ),
        ({"samples": {"t": [0, 10**400], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[1\] is outside"),
        ({"samples": {"t": [0, 1e308], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[1\] is outside"),
        ({"samples": {"t": [-1e308, 0], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[0\] is outside"),
        ({"samples": {"t": [0, float("nan")], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[1\] is not a finite"),
        ({"samples": {"t": [0, 1], "x": [1, 1e308], "y": [1, 1]}}, r"samples.x\[1\] is outside"),
        ({"samples": {"t": [0, 1], "x": [1, 1], "y": [float("inf"), 1]}}, r"samples.y\[0\] is not a finite"),
        ({"samples": {"t": [0, 1], "x": ["1", 1], "y": [1, 1]}}, "samples.x must hold numbers"),
        ({"samples": {"t": "01", "x": [1, 1], "y": [1, 1]}}, "samples.t must be a list"),
        (
            {"samples": {"t": [0, 1], "x": [1, 1], "y": [1, 1], "valid": [True]}},
            "samples.valid must be a list of 2",
        ),
    ],
)
def test_bad_batches_name_the_field(override, message):
    with pytest.raises(InvalidInput, match=message):
        parse_gaze_batch(batch(**override), max_samples=100)


def test_oversized_batch_is_refused():
    n = 11
    samples = {"t": list(range(n)), "x": [1] * n, "y": [1] * n}
    with pytest.raises(InvalidInput, match="more than the limit of 10"):
        parse_gaze_batch(batch(samples=samples), max_samples=10)


def test_bounds_are_inclusive_and_missing_positions_stay_allowed():
    samples = {"t": [-1e13, 1e13], "x": [None, -1e6], "y": [float("nan"), 1e6]}
    parsed = parse_gaze_batch(batch(seq=2**31 - 1, samples=samples), max_samples=10)
    assert parsed.seq == 2**31 - 1
    assert parsed.data[3].tolist() == [0.0, 1.0]  # null or NaN positions mark the sample invalid


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"seq": 2**31}, "seq must be an integer from 0 to 2147483647"),
        ({"t": 1e308}, "t must be a number from"),
        ({"t": float("nan")}, "t must be a finite number"),
        ({"image_id": 2**64}, "image_id must be an integer from 1 to"),
        ({"image_region": [0, 0, 1e308, 80]}, r"image_region must be a list of four"),
        ({"zoom": 1e308}, "zoom must be a number from"),
        ({"zoom": 0}, "zoom must be a number from"),
        ({"window_width": float("inf")}, "window_width must be a finite number"),
        ({"stream": "x\x00"}, "stream must be up to 64"),
    ],
)
def test_bad_view_messages_name_the_field(override, message):
    good = {"seq": 0, "t": 1.0, "image_id": 4, "image_region": [0, 0, 100, 80], "screen_rect": [0, 0, 50, 40]}
    with pytest.raises(InvalidInput, match=message):
        parse_view_message({**good, **override})


def test_view_message_checks_rectangles():
    good = {
        "seq": 0,
        "t": 12.5,
        "image_id": 4,
        "image_region": [0, 0, 100, 80],
        "screen_rect": [10, 10, 510, 410],
    }
    parsed = parse_view_message(good)
    assert parsed.image_region == (0.0, 0.0, 100.0, 80.0)
    with pytest.raises(InvalidInput, match="screen_rect must have x1 > x0"):
        parse_view_message({**good, "screen_rect": [10, 10, 5, 410]})
    with pytest.raises(InvalidInput, match="image_region must be a list of four"):
        parse_view_message({**good, "image_region": [0, 0, 100]})
    with pytest.raises(InvalidInput, match="t .* is required"):
        parse_view_message({k: v for k, v in good.items() if k != "t"})

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
        ({"seq": -1}, "seq must be a non-negative integer"),
        ({"seq": "7"}, "seq must be a non-negative integer"),
        ({"samples": None}, "samples must be an object"),
        ({"samples": {"t": [0, 1], "x": [1], "y": [1, 2]}}, "differ in length"),
        ({"samples": {"t": [0, 5, 3], "x": [1, 1, 1], "y": [1, 1, 1]}}, r"samples.t\[2\] goes back in time"),
        ({"samples": {"t": [0, "a"], "x": [1, 1], "y": [1, 1]}}, "samples.t must hold numbers"),
        ({"samples": {"t": [0, None], "x": [1, 1], "y": [1, 1]}}, r"samples.t\[1\] is not a finite number"),
        ({"samples": {"t": [], "x": [], "y": []}}, "samples.t is empty"),
        ({"samples": {"t": [0, 1], "x": [True, 1], "y": [1, 1]}}, "not booleans"),
        ({"samples": {"t": [0, 1], "x": [1, 1], "y": [1, 1], "valid": [1, 0]}}, "only true/false"),
        ({"device": ""}, "device must be a string"),
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

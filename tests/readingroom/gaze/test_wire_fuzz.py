"""Fuzzing the gaze message decoder: whatever arrives, the only failure is InvalidInput naming the problem."""

from __future__ import annotations

import json

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readingroom.core.exceptions import InvalidInput
from readingroom.gaze.batches import TIME_MAX_MS, finite_number, parse_gaze_batch, parse_view_message
from readingroom.gaze.wire import frame_decode

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.binary(max_size=24),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)  # fmt: skip
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.none(), st.booleans())
sample_lists = st.lists(numbers, max_size=6) | values
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(["gaze_batch", "view", "ping", "other"])},
    optional={
        "seq": numbers | values,
        "stream": st.text(max_size=70) | values,
        "device": st.text(max_size=70) | values,
        "samples": st.fixed_dictionaries({}, optional={k: sample_lists for k in ("t", "x", "y", "valid")})
        | values,
        "t": numbers,
        "t_client": numbers | values,
        "image_id": numbers,
        "image_region": st.lists(numbers, max_size=5) | values,
        "screen_rect": st.lists(numbers, max_size=5) | values,
        "zoom": numbers,
        "window_width": numbers,
    },
)


def _handle(message: dict) -> None:
    kind = message["type"]
    if kind == "gaze_batch":
        parse_gaze_batch(message, max_samples=100)
    elif kind == "view":
        parse_view_message(message)
    elif kind == "ping":
        finite_number(message.get("t_client"), "t_client", bound=TIME_MAX_MS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.booleans())
def test_any_message_is_accepted_or_refused_with_invalid_input(message, binary):
    try:
        frame = msgpack.packb(message) if binary else json.dumps(message)
    except (TypeError, ValueError, OverflowError):
        return  # not representable in that format (bytes in JSON, integers beyond 64 bits in MessagePack)
    try:
        decoded = frame_decode(None, frame) if binary else frame_decode(frame, None)
        _handle(decoded.message)
    except InvalidInput as exc:
        assert str(exc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.text(max_size=64))
def test_any_frame_decodes_or_is_refused_with_invalid_input(data, text):
    for args in ((None, data), (text, None)):
        try:
            frame_decode(*args)
        except InvalidInput as exc:
            assert "not valid" in str(exc) or "must be" in str(exc)

"""Bad input on the gaze WebSocket: each message gets an error naming the field, the socket stays open and
nothing of it is stored (issue 8, findings 6 and 7)."""

from __future__ import annotations

import json

import pytest

from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ViewEvent
from tests.readingroom.gaze.wsutil import batch, connect, cookie_headers, reply_to, run

pytestmark = pytest.mark.django_db(transaction=True)


def _text(message: dict) -> str:
    return json.dumps(message)


def _with_samples(**samples) -> str:
    base = {"t": [0.0, 4.0], "x": [1.0, 2.0], "y": [1.0, 2.0]}
    return _text({"type": "gaze_batch", "seq": 3, "device": "d", "samples": {**base, **samples}})


VIEW = {"type": "view", "seq": 0, "t": 5.0, "image_id": 1, "image_region": [0, 0, 48, 64],
        "screen_rect": [100, 100, 400, 500]}  # fmt: skip

BAD_MESSAGES = {
    "seq 2**31": (_text({**batch(0, 0.0), "seq": 2**31}), "seq"),
    "seq 2**64": (_text({**batch(0, 0.0), "seq": 2**64}), "seq"),
    "view seq 2**31": (_text({**VIEW, "seq": 2**31}), "seq"),
    "view t 1e308": (_text({**VIEW, "t": 1e308}), "t must be a number"),
    "view image_id 2**64": (_text({**VIEW, "image_id": 2**64}), "image_id"),
    "NUL in device": (_text({**batch(0, 0.0), "device": "sim\x00"}), "device"),
    "t nested lists": (_with_samples(t=[[1], [2]]), "samples.t"),
    "t 10**400": (
        '{"type":"gaze_batch","seq":1,"device":"d","samples":{"t":[0,1' + "0" * 400 + "],"
        '"x":[1,1],"y":[1,1]}}',
        "samples.t[1]",
    ),  # fmt: skip
    "t 1e308": (_with_samples(t=[0.0, 1e308]), "samples.t[1]"),
    "t -1e308": (_with_samples(t=[-1e308, 0.0]), "samples.t[0]"),
    "x 1e308": (_with_samples(x=[1.0, 1e308]), "samples.x[1]"),
    "t NaN": (
        '{"type":"gaze_batch","seq":1,"device":"d","samples":{"t":[0,NaN],"x":[1,1],"y":[1,1]}}',
        "samples.t[1]",
    ),  # fmt: skip
    "x Infinity": (
        '{"type":"gaze_batch","seq":1,"device":"d","samples":{"t":[0,1],"x":[1,Infinity],"y":[1,1]}}',
        "samples.x[1]",
    ),  # fmt: skip
    "ping t_client NaN": ('{"type":"ping","stream":"s","t_client":NaN}', "t_client"),
    "ping t_client Infinity": ('{"type":"ping","stream":"s","t_client":-Infinity}', "t_client"),
    "ping t_client 1e308": ('{"type":"ping","stream":"s","t_client":1e308}', "t_client"),
    "ping stream with NUL": (_text({"type": "ping", "stream": "a\x00", "t_client": 1.0}), "stream"),
    "nested 5000 deep": ("[" * 5000 + "]" * 5000, "nest"),
    "5000-digit number": ('{"type":"ping","t_client":' + "9" * 5000 + "}", "not valid JSON"),
    "not an object": ("[1, 2]", "JSON object"),
}


@pytest.mark.parametrize("name", list(BAD_MESSAGES))
def test_bad_input_gets_an_error_naming_the_field_and_the_socket_stays_open(name, reading_session, reader):
    text, field = BAD_MESSAGES[name]
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        error = await reply_to(ws, text)
        ack = await reply_to(ws, _text(batch(7, 0.0)))  # the same socket still takes gaze
        await ws.disconnect()
        return error, ack

    error, ack = run(scenario())
    assert error["type"] == "error" and field in error["reason"], error
    assert ack == {"type": "ack", "seq": 7}
    assert list(GazeChunk.objects.filter(session=reading_session).values_list("seq", flat=True)) == [7]
    assert not ViewEvent.objects.filter(session=reading_session).exists()
    reading_session.refresh_from_db()
    assert not reading_session.clock_offsets  # no ping was recorded


def test_a_session_id_beyond_the_database_range_is_refused_with_a_reason(reader):
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{2**64}/", headers)
        message = json.loads(await ws.receive_from(timeout=10))
        closed = await ws.receive_output(timeout=10)
        return message, closed

    message, closed = run(scenario())
    assert message["type"] == "error" and "does not exist" in message["reason"]
    assert closed["code"] == 4403

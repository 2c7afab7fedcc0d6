"""The capture socket does not depend on the channel layer: a Redis restart drops no gaze socket."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest

from readingroom.gaze.models import GazeChunk
from tests.readingroom.gaze.wsutil import batch, connect, cookie_headers, reply_to, run

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def throwaway_redis(tmp_path):
    """A redis-server of this test's own on a free port (never the machine's shared one)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # until it answers (a condition, polled)
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with {process.returncode}")
            time.sleep(0.05)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_gaze_keeps_flowing_when_the_channel_layer_redis_goes_away(
    reading_session, reader, settings, throwaway_redis
):
    port, redis_process = throwaway_redis
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{port}/0", "socket_timeout": None}]},
        }
    }
    headers = cookie_headers(reader)

    async def scenario():
        ws = await connect(f"/ws/gaze/{reading_session.pk}/", headers)
        before = await reply_to(ws, json.dumps(batch(0, 0.0)))
        redis_process.terminate()
        redis_process.wait(timeout=10)
        after = await reply_to(ws, json.dumps(batch(1, 400.0)))
        pong = await reply_to(ws, json.dumps({"type": "ping", "stream": "s", "t_client": 5.0}))
        await ws.disconnect()
        return before, after, pong

    before, after, pong = run(scenario())
    assert before == {"type": "ack", "seq": 0} and after == {"type": "ack", "seq": 1}
    assert pong["type"] == "pong"
    assert GazeChunk.objects.count() == 2

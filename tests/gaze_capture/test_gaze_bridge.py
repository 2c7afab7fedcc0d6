"""The bridge against an in-process WebSocket server that speaks the platform's gaze protocol."""

import asyncio
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from websockets.asyncio.server import serve

from gaze_capture import ParameterError
from gaze_capture.bridge import Bridge, batch_message, main, with_token
from gaze_capture.devices import open_device


class FakePlatform:
    """Stores batches by seq (idempotent), acks them; can drop the connection and reject batches."""

    def __init__(self, drop_after_batches=(), reject_seqs=(), offset_ms=5000.0):
        self.stored = {}
        self.received = 0
        self.drops = list(drop_after_batches)
        self.reject = set(reject_seqs)
        self.offset_ms = offset_ms
        self.paths = []

    async def handler(self, ws):
        self.paths.append(ws.request.path)
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "ping":
                await ws.send(
                    json.dumps(
                        {
                            "type": "pong",
                            "t_client": msg["t_client"],
                            "t_server": time.time() * 1000 + self.offset_ms,
                        }
                    )
                )
                continue
            assert msg["type"] == "gaze_batch" and msg["device"] == "simulator"
            self.received += 1
            seq = msg["seq"]
            if self.drops and self.received == self.drops[0]:
                self.drops.pop(0)
                self.stored[seq] = msg["samples"]  # stored, but the ack never arrives
                await ws.close()
                return
            if seq in self.reject:
                await ws.send(json.dumps({"type": "error", "seq": seq, "reason": "bad batch"}))
                continue
            self.stored[seq] = msg["samples"]
            await ws.send(json.dumps({"type": "ack", "seq": seq}))


async def run_bridge(platform, device, **kw):
    async with serve(platform.handler, "127.0.0.1", 0, max_queue=None) as server:
        port = server.sockets[0].getsockname()[1]
        url = with_token(f"ws://127.0.0.1:{port}/ws/gaze/42/", "secret")
        bridge = Bridge(device, url, device_name="simulator", reconnect_delays_s=(0.05,), **kw)
        stats = await asyncio.wait_for(bridge.run(), timeout=30)
        return bridge, stats


def test_reconnects_and_resends_unacknowledged_batches():
    dev = open_device("simulator", duration_ms=3000, rate_hz=250, batch_ms=100, seed=3)
    platform = FakePlatform(drop_after_batches=(5, 12))
    bridge, stats = asyncio.run(run_bridge(platform, dev))
    ended_host_ms = time.time() * 1000.0
    assert stats.connections == 3 and not bridge.pending
    assert sorted(platform.stored) == list(range(1, 31))
    t = np.concatenate([platform.stored[k]["t"] for k in sorted(platform.stored)])
    assert t.size == 750 and np.all(np.diff(t) > 0)
    truth = dev.truth.samples
    assert np.allclose(t, truth.t_ms)
    x = np.array(
        [np.nan if v is None else v for k in sorted(platform.stored) for v in platform.stored[k]["x"]]
    )
    assert np.array_equal(np.isnan(x), ~truth.valid)
    assert stats.sends > 30  # some batches went twice
    # Pings are stamped on the device clock, so the offset maps device time to server time: the server's
    # clock runs 5 s ahead of the host, and the device's last sample was read shortly before the run ended.
    assert stats.clock is not None
    last_sample_on_host = truth.t_ms[-1] + stats.clock.offset_ms - 5000
    assert ended_host_ms - 1000 < last_sample_on_host <= ended_host_ms + 5
    assert platform.paths[0] == "/ws/gaze/42/?token=secret"


def test_rejected_batches_are_reported_not_resent():
    dev = open_device("simulator", duration_ms=1000, rate_hz=250, batch_ms=100)
    platform = FakePlatform(reject_seqs={3})
    bridge, stats = asyncio.run(run_bridge(platform, dev))
    assert stats.batches_rejected == 1 and stats.rejections == [(3, "bad batch")]
    assert sorted(platform.stored) == [1, 2, 4, 5, 6, 7, 8, 9, 10]


def test_device_disconnect_is_reported_and_pending_flushed():
    dev = open_device("simulator", duration_ms=3000, rate_hz=250, batch_ms=100, disconnect_after_ms=1000)
    platform = FakePlatform()
    bridge, stats = asyncio.run(run_bridge(platform, dev))
    assert stats.device_error and "disconnected" in stats.device_error
    assert len(platform.stored) == stats.batches_read == stats.batches_acked


def test_message_url_and_cli_usage():
    from gaze_capture import Samples

    samples = Samples.from_arrays([0.0, 1.0], [1.0, np.nan], [2.0, 3.0])
    msg = json.loads(batch_message(7, "tobii", samples, "bridge-abc"))
    assert msg == {
        "type": "gaze_batch",
        "stream": "bridge-abc",
        "seq": 7,
        "device": "tobii",
        "samples": {"t": [0.0, 1.0], "x": [1.0, None], "y": [2.0, None], "valid": [True, False]},
    }
    assert with_token("wss://h/ws/gaze/1/?token=old", "new") == "wss://h/ws/gaze/1/?token=new"
    with pytest.raises(ParameterError):
        with_token("http://h/ws/gaze/1/", "t")
    assert main(["--device", "nope", "--server", "ws://h/ws/gaze/1/", "--token", "t"]) == 2


def test_command_line_streams_to_server(tmp_path):
    platform = FakePlatform()

    async def scenario():
        async with serve(platform.handler, "127.0.0.1", 0, max_queue=None) as server:
            port = server.sockets[0].getsockname()[1]
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "gaze_capture.bridge",
                "--device",
                "simulator",
                "--server",
                f"ws://127.0.0.1:{port}/ws/gaze/9/",
                "--token",
                "tok",
                "--option",
                "duration_ms=1000",
                "--option",
                "rate_hz=120",
                "--log-level",
                "WARNING",
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
            return proc.returncode, err.decode()

    rc, err = asyncio.run(scenario())
    assert rc == 0, err
    assert sum(len(v["t"]) for v in platform.stored.values()) == 120
    assert platform.paths == ["/ws/gaze/9/?token=tok"]

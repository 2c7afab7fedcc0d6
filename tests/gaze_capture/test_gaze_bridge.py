"""The bridge against an in-process WebSocket server that speaks the platform's gaze protocol."""

import asyncio
import json
import subprocess
import sys
import time

import msgpack
import numpy as np
import pytest
from websockets.asyncio.server import serve

from gaze_capture import ParameterError
from gaze_capture.bridge import Bridge, batch_message, main, with_token
from gaze_capture.devices import open_device


def _lists(samples: dict) -> dict:
    """Sample arrays of a binary frame (float64 / uint8 bytes) as the lists a JSON frame holds."""
    if not isinstance(samples["t"], bytes):
        return samples
    out = {k: np.frombuffer(samples[k], "<f8").tolist() for k in ("t", "x", "y")}
    out["x"] = [None if v != v else v for v in out["x"]]
    out["y"] = [None if v != v else v for v in out["y"]]
    out["valid"] = np.frombuffer(samples["valid"], np.uint8).astype(bool).tolist()
    return out


class FakePlatform:
    """Stores batches by seq (idempotent), acks them; can drop the connection, reject batches, and refuse
    the first batch messages for the rate limit. Answers binary frames in kind."""

    def __init__(
        self, drop_after_batches=(), reject_seqs=(), offset_ms=5000.0, clock_ms=None, rate_limited=0
    ):
        self.stored = {}
        self.received = 0
        self.drops = list(drop_after_batches)
        self.reject = set(reject_seqs)
        self.offset_ms = offset_ms
        self.clock_ms = clock_ms or (lambda: time.time() * 1000)
        self.rate_limited = rate_limited
        self.frames = {"text": 0, "binary": 0}
        self.paths = []

    async def handler(self, ws):
        self.paths.append(ws.request.path)
        async for raw in ws:
            binary = isinstance(raw, bytes)
            self.frames["binary" if binary else "text"] += 1
            msg = msgpack.unpackb(raw) if binary else json.loads(raw)

            async def send(reply, binary=binary):
                await ws.send(msgpack.packb(reply) if binary else json.dumps(reply))

            if msg["type"] == "ping":
                t_server = self.clock_ms() + self.offset_ms
                await send({"type": "pong", "t_client": msg["t_client"], "t_server": t_server})
                continue
            assert msg["type"] == "gaze_batch" and msg["device"] == "simulator"
            if self.rate_limited > 0:
                self.rate_limited -= 1
                await send({"type": "error", "seq": None, "reason": "rate limit", "retry_after_ms": 20})
                continue
            msg["samples"] = _lists(msg["samples"])
            self.received += 1
            seq = msg["seq"]
            if self.drops and self.received == self.drops[0]:
                self.drops.pop(0)
                self.stored[seq] = msg["samples"]  # stored, but the ack never arrives
                await ws.close()
                return
            if seq in self.reject:
                await send({"type": "error", "seq": seq, "reason": "bad batch"})
                continue
            self.stored[seq] = msg["samples"]
            await send({"type": "ack", "seq": seq})


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
    assert platform.paths[0] == "/ws/gaze/42/?token=secret"


def test_pings_are_stamped_on_the_device_clock():
    """The offset maps the device's own timestamps onto the server clock (an injected, frozen host clock)."""
    host_now_ms = 1.7e12
    dev = open_device("simulator", duration_ms=1000, rate_hz=250, batch_ms=1000, seed=3)  # one batch
    # The server's clock runs 5 s ahead of the host; the host read the device's only batch at host_now_ms.
    platform = FakePlatform(offset_ms=5000.0, clock_ms=lambda: host_now_ms)
    bridge, stats = asyncio.run(run_bridge(platform, dev, clock_ms=lambda: host_now_ms))
    assert stats.clock is not None
    last_sample_on_server = dev.truth.samples.t_ms[-1] + stats.clock.offset_ms
    assert last_sample_on_server == pytest.approx(host_now_ms + 5000.0, abs=1e-3)
    assert stats.clock.uncertainty_ms == pytest.approx(0.0, abs=1e-3)


def test_binary_frames_carry_the_same_samples():
    dev = open_device("simulator", duration_ms=1000, rate_hz=250, batch_ms=100, seed=4)
    platform = FakePlatform()
    bridge, stats = asyncio.run(run_bridge(platform, dev, binary=True))
    assert not bridge.pending and platform.frames["binary"] == 10
    t = np.concatenate([platform.stored[k]["t"] for k in sorted(platform.stored)])
    assert np.array_equal(t, dev.truth.samples.t_ms)
    valid = np.concatenate([platform.stored[k]["valid"] for k in sorted(platform.stored)])
    assert np.array_equal(valid, dev.truth.samples.valid)


def test_batches_refused_by_the_rate_limit_are_sent_again():
    dev = open_device("simulator", duration_ms=1000, rate_hz=250, batch_ms=100, seed=5)
    platform = FakePlatform(rate_limited=3)
    bridge, stats = asyncio.run(run_bridge(platform, dev, max_in_flight=2))
    assert not bridge.pending and stats.batches_rejected == 0
    assert sorted(platform.stored) == list(range(1, 11))


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

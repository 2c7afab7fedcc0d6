"""Stream a gaze device to the platform over WebSocket, losing nothing across reconnects.

Protocol (the platform's ``ws(s)://host/ws/gaze/<session_id>/?token=<token>``):

- client: ``{"type": "gaze_batch", "seq": int, "device": str,
  "samples": {"t": [ms device time], "x": [...], "y": [...], "valid": [...]}}``
  (invalid positions are ``null``); server: ``{"type": "ack", "seq": int}`` or
  ``{"type": "error", "seq": int, "reason": str}``;
- clock sync: client ``{"type": "ping", "t_client": ms}``, server ``{"type": "pong", "t_client": ms,
  "t_server": ms}``. ``t_client`` is on the device's clock (host time minus the device-to-host lag,
  estimated from when batches are read), so the server's offset for the stream maps sample timestamps,
  which stay as the device stamped them, onto the server clock.
- every message carries the bridge's ``stream`` id (new per process), within which ``seq`` counts.
- with ``binary=True`` (``--binary``) batches go as MessagePack binary frames whose sample arrays are
  little-endian float64 byte strings (``valid`` one byte per sample); the server answers them in kind.
- an error with ``retry_after_ms`` (the server's rate limit; its ``seq`` is null) means "resend later": the
  bridge sends nothing for that long, then sends the batches in flight again.

Every batch stays in the pending buffer until it is acknowledged (or rejected with an error); after a
reconnect all pending batches are sent again, in order, before new ones. The server stores by ``seq``, so a
batch whose ack was lost and that is sent twice is stored once.

Command line::

    python -m gaze_capture.bridge --device NAME --server URL --token TOKEN [--option key=value ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .clock import ClockOffset, estimate_offset
from .devices import GazeDevice, open_device
from .errors import DeviceError, GazeCaptureError, ParameterError
from .samples import Samples

__all__ = ["Bridge", "BridgeStats", "batch_message", "batch_message_binary", "with_token", "main"]

log = logging.getLogger("gaze_capture.bridge")


def batch_message(seq: int, device: str, samples: Samples, stream: str = "") -> str:
    """The ``gaze_batch`` JSON text for one batch of one sender stream."""
    payload = {"type": "gaze_batch", "stream": stream, "seq": int(seq), "device": device,
               "samples": samples.to_payload()}  # fmt: skip
    return json.dumps(payload, allow_nan=False)


def batch_message_binary(seq: int, device: str, samples: Samples, stream: str = "") -> bytes:
    """The ``gaze_batch`` as a MessagePack binary frame (arrays as little-endian float64 bytes)."""
    import msgpack  # only senders of binary frames need it

    payload = {"type": "gaze_batch", "stream": stream, "seq": int(seq), "device": device,
               "samples": {"t": samples.t_ms.astype("<f8").tobytes(), "x": samples.x.astype("<f8").tobytes(),
                           "y": samples.y.astype("<f8").tobytes(),
                           "valid": samples.valid.astype("u1").tobytes()}}  # fmt: skip
    return msgpack.packb(payload)


def _decode_reply(raw: str | bytes) -> dict[str, Any] | None:
    """A server reply (JSON text or MessagePack binary) as a dict; None when it is neither."""
    try:
        if isinstance(raw, bytes):
            import msgpack

            message = msgpack.unpackb(raw)
        else:
            message = json.loads(raw)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _host_clock_ms() -> float:
    return time.time() * 1000.0


def with_token(url: str, token: str | None) -> str:
    """``url`` with ``?token=`` set (kept if already present and ``token`` is None)."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ParameterError(f"server URL must start with ws:// or wss://, got {url!r}")
    if token is None:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "token"] + [("token", token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class BridgeStats:
    """What happened during :meth:`Bridge.run`."""

    batches_read: int = 0
    samples_read: int = 0
    batches_acked: int = 0
    batches_rejected: int = 0
    sends: int = 0
    connections: int = 0
    clock: ClockOffset | None = None
    rejections: list[tuple[int, str]] = field(default_factory=list)
    device_error: str | None = None


class Bridge:
    """Read batches from ``device`` and deliver them to ``url`` with acknowledgements.

    Parameters
    ----------
    device : GazeDevice
        Not yet connected; the bridge connects, starts and closes it.
    url : str
        Full WebSocket URL including ``?token=``.
    device_name : str
        Sent in every batch.
    seq_start : int
        First sequence number.
    reconnect_delays_s : sequence of float
        Waits between reconnection attempts (the last repeats).
    n_pings : int
        Ping/pong exchanges at the start of each connection for the clock offset.
    ping_interval_s : float
        One more ping this often while connected.
    max_pending : int
        Largest number of unacknowledged batches kept; reading pauses when it is reached.
    max_in_flight : int
        Largest number of batches sent on a connection and not yet acknowledged.
    binary : bool
        Send batches as MessagePack binary frames (smaller and cheaper for the server to read than JSON).
    clock_ms : callable
        The host's clock in ms (default: ``time.time() * 1000``); the device-to-host lag and the pings'
        device-clock stamps are read from it.
    """

    def __init__(
        self,
        device: GazeDevice,
        url: str,
        *,
        device_name: str,
        seq_start: int = 1,
        reconnect_delays_s: Sequence[float] = (0.1, 0.5, 1.0, 2.0, 5.0),
        n_pings: int = 5,
        max_pending: int = 100_000,
        max_in_flight: int = 32,
        read_timeout_s: float = 0.05,
        ping_interval_s: float = 30.0,
        binary: bool = False,
        clock_ms: Callable[[], float] = _host_clock_ms,
    ) -> None:
        self.device = device
        self.url = url
        self.device_name = device_name
        self.next_seq = int(seq_start)
        # Seq numbers and the tracker's clock belong to this run of the bridge: a restarted bridge starts
        # a new stream, so its batches never collide with those stored from an earlier run.
        self.stream = f"bridge-{uuid.uuid4().hex[:16]}"
        self.delays = list(reconnect_delays_s) or [1.0]
        self.n_pings = n_pings
        self.max_pending = max_pending
        self.max_in_flight = max_in_flight
        self.ping_interval_s = ping_interval_s
        self.read_timeout_s = read_timeout_s
        self.binary = binary
        self.clock_ms = clock_ms
        self._resend_at: float | None = None  # monotonic time after which in-flight batches go again
        self.pending: OrderedDict[int, str | bytes] = OrderedDict()
        self.stats = BridgeStats()
        self._new = asyncio.Event()
        self._reading_done = False
        self._stop = asyncio.Event()
        self._pongs: list[tuple[float, float, float]] = []
        # Host clock minus device clock, ms: the smallest lag seen between a batch's newest sample and the
        # moment the host read it (a minimum-delay estimate). Pings are stamped on the device clock with
        # it, so the server's offset for this stream maps the samples' own timestamps onto its clock.
        self._host_minus_device: float | None = None

    def stop(self) -> None:
        """Ask :meth:`run` to finish (after delivering what is pending if the server is reachable)."""
        self._stop.set()

    @property
    def done(self) -> bool:
        return (self._reading_done or self._stop.is_set()) and not self.pending

    async def _read_loop(self) -> None:
        dev = self.device
        try:
            while not self._stop.is_set():
                if len(self.pending) >= self.max_pending:
                    await asyncio.sleep(0.01)
                    continue
                batch = await asyncio.to_thread(dev.read, self.read_timeout_s)
                if batch is None or len(batch) == 0:
                    if dev.exhausted:
                        break
                    continue
                lag = self.clock_ms() - float(batch.t_ms[-1])
                if self._host_minus_device is None or lag < self._host_minus_device:
                    self._host_minus_device = lag
                seq = self.next_seq
                self.next_seq += 1
                encode = batch_message_binary if self.binary else batch_message
                self.pending[seq] = encode(seq, self.device_name, batch, self.stream)
                self.stats.batches_read += 1
                self.stats.samples_read += len(batch)
                self._new.set()
        except DeviceError as exc:
            log.error("device error: %s", exc)
            self.stats.device_error = str(exc)
        finally:
            self._reading_done = True
            self._new.set()

    async def _receive(self, ws: Any) -> None:
        async for raw in ws:
            msg = _decode_reply(raw)
            if msg is None:
                log.warning("ignoring an unreadable message from the server: %r", raw[:200])
                continue
            kind = msg.get("type")
            if kind == "ack":
                if self.pending.pop(int(msg.get("seq", -1)), None) is not None:
                    self.stats.batches_acked += 1
            elif kind == "error" and msg.get("retry_after_ms") is not None:
                log.warning("server asks to resend later: %s", msg.get("reason"))
                self._resend_at = time.monotonic() + float(msg["retry_after_ms"]) / 1000.0
            elif kind == "error":
                seq = msg.get("seq")
                seq = seq if isinstance(seq, int) else -1
                if self.pending.pop(seq, None) is not None:
                    self.stats.batches_rejected += 1
                    self.stats.rejections.append((seq, str(msg.get("reason", ""))))
                    log.error("server rejected batch %s: %s", seq, msg.get("reason"))
            elif kind == "pong":
                now = self._device_now_ms()
                if now is not None:
                    self._pongs.append((float(msg["t_client"]), float(msg["t_server"]), now))
            self._new.set()

    def _device_now_ms(self) -> float | None:
        """Now on the device's clock (None until a batch has been read)."""
        if self._host_minus_device is None:
            return None
        return self.clock_ms() - self._host_minus_device

    async def _ping(self, ws: Any) -> bool:
        """Send one ping stamped on the device clock; False while that clock is not known yet."""
        t_device = self._device_now_ms()
        if t_device is None:
            return False
        await ws.send(json.dumps({"type": "ping", "stream": self.stream, "t_client": t_device}))
        return True

    async def _send_loop(self, ws: Any) -> None:
        sent: set[int] = set()
        initial_pings = 0
        last_ping = time.monotonic()
        while not self.done:
            self._new.clear()
            while initial_pings < self.n_pings and await self._ping(ws):
                initial_pings += 1
                last_ping = time.monotonic()
                await asyncio.sleep(0.005)
            if time.monotonic() - last_ping > self.ping_interval_s and await self._ping(ws):
                # keep measuring the offset: device and server clocks drift apart over a session
                last_ping = time.monotonic()
            sent &= self.pending.keys()  # forget acknowledged batches
            if self._resend_at is not None and time.monotonic() >= self._resend_at:
                self._resend_at = None
                sent.clear()  # the server dropped some unread (rate limit): send what is in flight again
            throttled = self._resend_at is not None  # send nothing until the server's retry time
            for seq, text in [] if throttled else list(self.pending.items()):
                if len(sent) >= self.max_in_flight:
                    break  # wait for acks rather than flood a slow server
                if seq not in sent:
                    await ws.send(text)
                    sent.add(seq)
                    self.stats.sends += 1
            if self._pongs:
                recent = self._pongs[-50:]
                s, r, e = zip(*recent, strict=True)
                self.stats.clock = estimate_offset(s, r, e)
            if self.done:
                break
            wait_s = (
                0.5 if self._resend_at is None else min(0.5, max(0.0, self._resend_at - time.monotonic()))
            )
            try:
                await asyncio.wait_for(self._new.wait(), timeout=wait_s)
            except TimeoutError:
                pass

    async def _session(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, open_timeout=5, close_timeout=1, max_size=None) as ws:
            self.stats.connections += 1
            log.info("connected (%d pending)", len(self.pending))
            recv = asyncio.create_task(self._receive(ws))
            send = asyncio.create_task(self._send_loop(ws))
            finished, _ = await asyncio.wait({recv, send}, return_when=asyncio.FIRST_COMPLETED)
            for t in (recv, send):
                if t not in finished:
                    t.cancel()
            await asyncio.gather(recv, send, return_exceptions=True)
            for t in finished:
                exc = t.exception()
                if exc is not None:
                    raise exc

    async def run(self, *, give_up_after_s: float | None = None) -> BridgeStats:
        """Connect the device and the server, stream until the device is exhausted or :meth:`stop`.

        Parameters
        ----------
        give_up_after_s : float, optional
            Stop retrying the server after this long without a connection (pending batches are then
            lost to this run and counted in the stats); default: retry for ever.
        """
        self.device.connect()
        self.device.start()
        reader = asyncio.create_task(self._read_loop())
        attempt = 0
        last_ok = time.monotonic()
        try:
            while not self.done:
                try:
                    await self._session()
                    attempt = 0
                    last_ok = time.monotonic()
                except (OSError, TimeoutError, GazeCaptureError) as exc:
                    log.warning("connection failed: %s", exc)
                except Exception as exc:  # websockets' ConnectionClosed / InvalidStatus and friends
                    if type(exc).__module__.split(".")[0] != "websockets":
                        raise
                    log.warning("connection lost: %s", exc)
                if self.done:
                    break
                if give_up_after_s is not None and time.monotonic() - last_ok > give_up_after_s:
                    log.error("giving up: %d batches undelivered", len(self.pending))
                    break
                await asyncio.sleep(self.delays[min(attempt, len(self.delays) - 1)])
                attempt += 1
        finally:
            self._stop.set()
            await reader
            self.device.close()
        return self.stats


def _parse_option(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ParameterError(f"--option must be key=value, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status.

    0: everything delivered; 1: batches undelivered or rejected by the server, or the device failed;
    2: bad usage.
    """
    ap = argparse.ArgumentParser(prog="python -m gaze_capture.bridge", description=__doc__.splitlines()[0])
    ap.add_argument("--device", required=True, help="adapter name (simulator, gazepoint, tobii, ...)")
    ap.add_argument("--server", required=True, help="ws(s)://host/ws/gaze/<session_id>/")
    ap.add_argument(
        "--token",
        required=True,
        help="the session's capture token, or an API token scoped gaze:write:<session_id> (sent as ?token=)",
    )
    ap.add_argument("--option", action="append", default=[], help="device option key=value (JSON values)")
    ap.add_argument("--seq-start", type=int, default=1)
    ap.add_argument("--give-up-after", type=float, default=None, help="seconds without server before exit")
    ap.add_argument("--binary", action="store_true", help="send batches as MessagePack binary frames")
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    try:
        options = dict(_parse_option(o) for o in args.option)
        device = open_device(args.device, **options)
        url = with_token(args.server, args.token)
    except (GazeCaptureError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bridge = Bridge(device, url, device_name=args.device, seq_start=args.seq_start, binary=args.binary)
    try:
        stats = asyncio.run(bridge.run(give_up_after_s=args.give_up_after))
    except KeyboardInterrupt:
        return 1
    except GazeCaptureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    log.info("done: %s", stats)
    ok = not bridge.pending and stats.device_error is None and stats.batches_rejected == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

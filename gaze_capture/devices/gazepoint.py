"""Gazepoint trackers through the Open Gaze API (XML lines over TCP, port 4242 by default).

The client enables data records with ``<SET ID="ENABLE_SEND_..." STATE="1" />``; the server acknowledges
with ``<ACK .../>`` and streams ``<REC TIME="s" BPOGX="0..1" BPOGY="0..1" BPOGV="0|1" .../>`` lines.
``TIME`` (seconds since the tracker started) is the device clock; positions are normalised to the screen
and converted to pixels with the size from ``<GET ID="SCREEN_SIZE" />``.
"""

from __future__ import annotations

import select
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DeviceDisconnectedError, DeviceError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["GazepointDevice", "ENABLE_COMMANDS"]

ENABLE_COMMANDS = ("ENABLE_SEND_TIME", "ENABLE_SEND_POG_BEST", "ENABLE_SEND_PUPIL_LEFT", "ENABLE_SEND_DATA")


@register_device("gazepoint")
class GazepointDevice(GazeDevice):
    """Open Gaze API client.

    Parameters
    ----------
    host : str
    port : int
        4242 for Gazepoint Control.
    timeout_s : float
        Connect and acknowledgement timeout.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 4242, timeout_s: float = 3.0) -> None:
        super().__init__()
        self.host, self.port, self.timeout_s = host, int(port), float(timeout_s)
        self._sock: socket.socket | None = None
        self._buf = b""
        self._acks: dict[str, dict[str, str]] = {}
        self._cal: dict[str, str] | None = None
        self._rows: list[tuple[float, float, float, bool, float, float]] = []
        self.screen_size = (1920, 1080)

    # protocol ---------------------------------------------------------------------------------------
    def _send(self, xml: str) -> None:
        assert self._sock is not None
        try:
            self._sock.sendall((xml + "\r\n").encode("ascii"))
        except OSError as exc:
            raise DeviceDisconnectedError(f"gazepoint: send failed: {exc}") from exc

    def _pump(self, timeout_s: float) -> bool:
        """Receive what is available (waiting up to ``timeout_s``) and parse complete lines."""
        assert self._sock is not None
        ready, _, _ = select.select([self._sock], [], [], max(timeout_s, 0.0))
        if not ready:
            return False
        try:
            chunk = self._sock.recv(65536)
        except OSError as exc:
            raise DeviceDisconnectedError(f"gazepoint: receive failed: {exc}") from exc
        if not chunk:
            raise DeviceDisconnectedError(
                f"gazepoint: server at {self.host}:{self.port} closed the connection"
            )
        self._buf += chunk
        *lines, self._buf = self._buf.split(b"\n")
        host_ms = time.time() * 1000.0
        for raw in lines:
            line = raw.strip().decode("ascii", errors="replace")
            if line:
                self._parse(line, host_ms)
        return True

    def _parse(self, line: str, host_ms: float) -> None:
        try:
            el = ET.fromstring(line)
        except ET.ParseError as exc:
            raise DeviceError(f"gazepoint: malformed record {line[:120]!r}: {exc}") from None
        a = el.attrib
        if el.tag == "REC":
            try:
                t = float(a["TIME"]) * 1000.0
                x = float(a.get("BPOGX", "nan"))
                y = float(a.get("BPOGY", "nan"))
                v = a.get("BPOGV", "1") == "1"
                pupil = float(a.get("LPD", "nan"))
            except (KeyError, ValueError) as exc:
                raise DeviceError(
                    f"gazepoint: record without a valid TIME/BPOG: {line[:120]!r} ({exc})"
                ) from None
            self._rows.append((t, x, y, v, pupil, host_ms))
        elif el.tag == "ACK":
            self._acks[a.get("ID", "")] = dict(a)
        elif el.tag == "CAL" and a.get("ID") == "CALIB_RESULT":
            self._cal = dict(a)

    def _wait_ack(self, ident: str) -> dict[str, str]:
        deadline = time.monotonic() + self.timeout_s
        while ident not in self._acks:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceError(f"gazepoint: no acknowledgement for {ident} within {self.timeout_s} s")
            self._pump(left)
        return self._acks.pop(ident)

    # adapter ------------------------------------------------------------------------------------------
    def _connect(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise DeviceError(f"gazepoint: cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._send('<GET ID="SCREEN_SIZE" />')
        ack = self._wait_ack("SCREEN_SIZE")
        self.screen_size = (int(float(ack.get("WIDTH", 1920))), int(float(ack.get("HEIGHT", 1080))))
        self.info = {"vendor": "Gazepoint", "model": "Open Gaze API", "screen_size": self.screen_size}

    def _start(self) -> None:
        for cmd in ENABLE_COMMANDS:
            self._send(f'<SET ID="{cmd}" STATE="1" />')
            self._wait_ack(cmd)

    def _stop(self) -> None:
        if self._sock is not None:
            self._send('<SET ID="ENABLE_SEND_DATA" STATE="0" />')

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _read(self, timeout_s: float) -> Samples | None:
        if not self._rows:
            self._pump(timeout_s)
        for _ in range(256):  # drain what is already buffered, without spinning on a busy stream
            if not self._pump(0.0):
                break
        if not self._rows:
            return None
        rows, self._rows = self._rows, []
        t, x, y, v, pupil, host = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
        w, h = self.screen_size
        return Samples.from_arrays(t, x * w, y * h, v.astype(bool), pupil, host_t_ms=host)

    def calibrate(self, points: Sequence[tuple[float, float]] | None = None) -> dict[str, Any]:
        """Run Gazepoint's calibration (its own targets) and return the ``CALIB_RESULT`` attributes."""
        self._require_connected("calibrate")
        self._cal = None
        self._send('<SET ID="CALIBRATE_SHOW" STATE="1" />')
        self._send('<SET ID="CALIBRATE_START" STATE="1" />')
        deadline = time.monotonic() + max(self.timeout_s, 30.0)
        while self._cal is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceError("gazepoint: calibration gave no result")
            self._pump(left)
        self._send('<SET ID="CALIBRATE_SHOW" STATE="0" />')
        return dict(self._cal)

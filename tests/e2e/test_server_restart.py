"""The server killed (``kill -9``) in the middle of a read and started again: no gaze sample is lost and none
is stored twice.

The sender behaves as the page and the bridge do: it sends batches without waiting for each acknowledgement,
keeps every unacknowledged batch, and after the socket drops it reconnects (retrying while the server is
down) and sends them again. Batches sent but not committed when the server died are stored after the
restart; batches committed whose acknowledgement never arrived are acknowledged again and stored once.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from readingroom.gaze.models import GazeChunk
from tests.e2e.conftest import PASSWORD, READER
from tests.e2e.http import Browserless
from tests.e2e.processes import free_port, kill_hard, start_daphne, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

BATCHES, SAMPLES, KILL_AFTER_ACKS = 60, 40, 20


def _batch(seq: int) -> str:
    t = [50_000.0 + seq * SAMPLES * 2.0 + 2.0 * i for i in range(SAMPLES)]
    return json.dumps({"type": "gaze_batch", "stream": "killed-server", "seq": seq, "device": "sim",
                       "samples": {"t": t, "x": [40.0 + seq] * SAMPLES, "y": [60.0] * SAMPLES}})  # fmt: skip


class _Server:
    """daphne on a fixed port that the test kills and starts again."""

    def __init__(self, tmp_path):
        self.port, self.logs, self.process, self.starts = free_port(), tmp_path, None, 0

    def start(self) -> None:
        self.starts += 1
        self.process = start_daphne(self.logs / f"daphne-{self.starts}.log", port=self.port)

    def kill(self) -> None:
        kill_hard(self.process)


async def _read_with_a_crash(url: str, headers: dict, server: _Server) -> tuple[set[int], int]:
    unacked: dict[int, str] = {}
    acked: set[int] = set()
    next_seq, killed, connects = 0, False, 0
    deadline = time.monotonic() + 120
    while len(acked) < BATCHES:
        assert time.monotonic() < deadline, f"only {len(acked)} of {BATCHES} batches acknowledged"
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
                connects += 1
                for seq in sorted(unacked):  # what the last connection left unacknowledged
                    await ws.send(unacked[seq])
                while len(acked) < BATCHES:
                    while next_seq < BATCHES and len(unacked) < 8:  # up to 8 batches in flight
                        unacked[next_seq] = _batch(next_seq)
                        await ws.send(unacked[next_seq])
                        next_seq += 1
                    reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                    assert reply.get("type") == "ack", reply
                    acked.add(reply["seq"])
                    unacked.pop(reply["seq"], None)
                    if len(acked) == KILL_AFTER_ACKS and not killed:
                        killed = True
                        server.kill()  # batches in flight: some committed, some not, acks lost
                        await asyncio.sleep(0.5)
                        server.start()
        except (websockets.ConnectionClosed, OSError, TimeoutError):
            await asyncio.sleep(0.2)
    return acked, connects


def test_server_killed_mid_read_and_restarted_loses_and_duplicates_nothing(tmp_path, session_with_gaze):
    session = session_with_gaze
    server = _Server(tmp_path)
    server.start()
    try:
        client = Browserless(f"http://127.0.0.1:{server.port}")
        client.login(READER, PASSWORD)
        headers = {"Cookie": client.cookie_header(), "Origin": f"http://127.0.0.1:{server.port}"}
        url = f"ws://127.0.0.1:{server.port}/ws/gaze/{session.pk}/"
        acked, connects = asyncio.run(_read_with_a_crash(url, headers, server))
    finally:
        stop(server.process)
    assert server.starts == 2 and connects >= 2  # the server did die mid-read, and the reader came back
    assert acked == set(range(BATCHES))
    chunks = GazeChunk.objects.filter(session=session, stream="killed-server")
    assert sorted(chunks.values_list("seq", flat=True)) == list(range(BATCHES))  # each batch stored once
    assert sum(chunks.values_list("n_samples", flat=True)) == BATCHES * SAMPLES

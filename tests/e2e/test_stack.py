"""The walking skeleton through the real stack: daphne, a Celery worker process, the database and broker.

A reader logs in over HTTP, streams simulated gaze over the WebSocket (with a disconnect and resend in the
middle), submits a report, and the worker's analysis and prediction appear in the results.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
import websockets

from readingroom.reading.models import OBSERVATIONS, ReadingProject
from tests.e2e.http import Browserless

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def case(tmp_path):
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username="e2e-reader", password="e2e-reader-pass", roles=["reader"])
    image = image_import_dicom(path=write_dicom(tmp_path / "case.dcm", rows=200, columns=160)).image
    project = ReadingProject.objects.create(name="e2e")
    assignment = project_assign(project=project, reader=reader, studies=[image.study])[0]
    return assignment, image


def _gaze_batches(n_batches: int, per_batch: int = 100, rate_hz: float = 500.0):
    """Fixations of 300 ms on a grid of points inside the drawn image (screen (0,0)-(320,400))."""
    rng = np.random.default_rng(1)
    dt = 1000.0 / rate_hz
    points = [(80.0, 100.0), (240.0, 100.0), (160.0, 300.0)]
    total = n_batches * per_batch
    t = np.arange(total) * dt
    which = (t // 340).astype(int) % len(points)
    x = np.array([points[i][0] for i in which]) + rng.normal(0, 0.3, total)
    y = np.array([points[i][1] for i in which]) + rng.normal(0, 0.3, total)
    for seq in range(n_batches):
        s = slice(seq * per_batch, (seq + 1) * per_batch)
        yield {"type": "gaze_batch", "seq": seq, "device": "e2e-sim",
               "samples": {"t": t[s].tolist(), "x": x[s].tolist(), "y": y[s].tolist()}}  # fmt: skip


async def _stream(ws_url: str, origin: str, cookie: str, image_id: int) -> list[int]:
    acked: list[int] = []
    batches = list(_gaze_batches(20))
    view = {"type": "view", "seq": 0, "t": 0.0, "image_id": image_id, "image_region": [0, 0, 160, 200],
            "screen_rect": [0, 0, 320, 400], "zoom": 2.0}  # fmt: skip
    headers = {"Cookie": cookie, "Origin": origin}  # the page's own origin: scheme, host and port
    async with websockets.connect(ws_url, additional_headers=headers) as ws:
        await ws.send(json.dumps(view))
        assert json.loads(await ws.recv()) == {"type": "ack", "kind": "view", "seq": 0}
        for message in batches[:12]:
            await ws.send(json.dumps(message))
        # Drop the connection after reading only some acknowledgements, as a flaky network would.
        for _ in range(5):
            acked.append(json.loads(await ws.recv())["seq"])
    async with websockets.connect(ws_url, additional_headers=headers) as ws:
        pending = [m for m in batches if m["seq"] not in acked]
        for message in pending:
            await ws.send(json.dumps(message))
        for _ in pending:
            reply = json.loads(await ws.recv())
            assert reply["type"] == "ack", reply
            acked.append(reply["seq"])
    return acked


def test_reading_path_through_real_worker_and_server(live_stack, case):
    assignment, image = case
    client = Browserless(live_stack.url)
    client.login("e2e-reader", "e2e-reader-pass")
    status, worklist = client.request("GET", "/api/worklist/")
    assert status == 200 and worklist[0]["id"] == assignment.pk
    status, started = client.request("POST", f"/api/assignments/{assignment.pk}/start/", {})
    assert status == 200, started
    session_id = started["session_id"]

    ws_url = live_stack.ws_url + started["ws_path"]
    acked = asyncio.run(_stream(ws_url, live_stack.url, client.cookie_header(), image.pk))
    assert sorted(set(acked)) == list(range(20))

    labels = dict.fromkeys(OBSERVATIONS, "not_mentioned") | {"No Finding": "present"}
    status, body = client.request("POST", f"/api/sessions/{session_id}/report/",
                                  {"findings": "Lungs clear.", "impression": "Normal.", "labels": labels})  # fmt: skip
    assert status == 201, body

    deadline = time.monotonic() + 90
    while True:
        status, results = client.request("GET", f"/api/sessions/{session_id}/results/")
        done = results["status"] in {"done", "failed"} and results["prediction"]["status"] != "pending"
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert results["status"] == "done", results
    assert results["sample_count"] == 2000  # every sample stored exactly once despite the resend
    assert results["fixation_count"] >= 5
    assert results["heatmap"]["width"] == 160 and results["heatmap"]["height"] == 200
    assert results["prediction"]["status"] == "no_model"
    assert "No model is registered" in results["prediction"]["message"]


def test_tracker_bridge_streams_into_a_session(live_stack, case):
    """``python -m gaze_capture.bridge`` with the simulated device, through daphne, by capture token."""
    import subprocess
    import sys

    from readingroom.gaze.models import GazeChunk
    from readingroom.reading.models import ReadingSession
    from readingroom.reading.services import session_start

    assignment, _ = case
    session = session_start(assignment_id=assignment.pk, reader=assignment.reader)
    url = f"{live_stack.ws_url}/ws/gaze/{session.pk}/"
    # A finite recording: the bridge exits once the server has acknowledged every batch, so the test waits
    # for that condition (the exit), not for a deadline; the timeout only guards against a hang.
    bridge = subprocess.Popen(
        [sys.executable, "-m", "gaze_capture.bridge", "--device", "simulator", "--server", url,
         "--token", session.capture_token, "--option", "duration_ms=2000", "--option", "rate_hz=250",
         "--binary", "--log-level", "WARNING"],  # fmt: skip
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output, _ = bridge.communicate(timeout=300)
    finally:
        if bridge.poll() is None:
            bridge.kill()
            bridge.communicate()
    assert bridge.returncode == 0, output
    chunks = GazeChunk.objects.filter(session=session)
    assert sum(chunks.values_list("n_samples", flat=True)) == 500, output  # 2 s at 250 Hz, each sample once
    streams = set(chunks.values_list("stream", flat=True))
    assert len(streams) == 1 and streams.pop().startswith("bridge-")
    offsets = ReadingSession.objects.get(pk=session.pk).clock_offsets
    assert any(key.startswith("bridge-") for key in offsets), offsets

"""Through the real stack: the worker (another process) finishes a submitted session and its results are
pushed over the reader's WebSocket by daphne, with no polling (embedded mode: relayed ResultsEvent rows;
with Redis: the shared channel layer)."""

from __future__ import annotations

import asyncio
import json

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

    reader = user_create(username="push-reader", password="push-reader-pass", roles=["reader"])
    image = image_import_dicom(path=write_dicom(tmp_path / "push.dcm")).image
    project = ReadingProject.objects.create(name="e2e push")
    return project_assign(project=project, reader=reader, studies=[image.study])[0]


def test_the_workers_results_are_pushed_to_the_readers_socket(live_stack, case):
    client = Browserless(live_stack.url)
    client.login("push-reader", "push-reader-pass")
    status, started = client.request("POST", f"/api/assignments/{case.pk}/start/", {})
    assert status == 200, started
    session_id = started["session_id"]
    labels = dict.fromkeys(OBSERVATIONS, "not_mentioned") | {"No Finding": "present"}
    report = {"findings": "Lungs clear.", "impression": "Normal.", "labels": labels}
    headers = {"Cookie": client.cookie_header(), "Origin": live_stack.url}  # the page's origin, port included

    async def scenario() -> dict:
        async with websockets.connect(
            live_stack.ws_url + started["ws_path"], additional_headers=headers
        ) as ws:
            status, body = await asyncio.to_thread(
                client.request, "POST", f"/api/sessions/{session_id}/report/", report
            )
            assert status == 201, body
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
                assert message["type"] == "results", message
                if message["status"] == "done" and message["prediction"]["status"] != "pending":
                    return message

    pushed = asyncio.run(scenario())
    assert pushed["session_id"] == session_id and pushed["error"] == "no gaze was recorded"
    assert pushed["prediction"]["status"] == "no_model"

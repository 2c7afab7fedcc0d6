"""Database faults through the live stack (PostgreSQL only): connections dropped, the disk full.

``pg_terminate_backend`` drops the connections daphne and the worker hold, as a PostgreSQL restart or a
network cut would; a trigger that raises SQLSTATE 53100 (disk_full) on the gaze chunk table stands for a
full disk while a gaze chunk is written. No gaze sample may be lost or stored twice, and the requests after
the fault must succeed.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from django.db import connection

from readingroom.gaze.models import GazeAnalysis, GazeChunk
from readingroom.reading.models import ReadingProject, ReadingSession
from tests.e2e.http import Browserless

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

READER, PASSWORD = "db-fault-reader", "db-fault-reader-pass"


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("database fault tests need PostgreSQL (set DATABASE_URL): SQLite has no server to fault")


@pytest.fixture
def session(postgres_only, tmp_path) -> ReadingSession:
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign, session_start
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username=READER, password=PASSWORD, roles=["reader"])
    image = image_import_dicom(path=write_dicom(tmp_path / "case.dcm", rows=40, columns=32)).image
    assignment = project_assign(project=ReadingProject.objects.create(name="db faults"), reader=reader,
                                studies=[image.study])[0]  # fmt: skip
    return session_start(assignment_id=assignment.pk, reader=reader)


def _terminate(application_name: str) -> int:
    """Drop every connection of one program to the test database; returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [application_name],
        )
        return cursor.fetchone()[0]


def test_dropped_connections_are_replaced_and_requests_succeed(live_stack, session):
    client = Browserless(live_stack.url)
    client.login(READER, PASSWORD)
    with ThreadPoolExecutor(max_workers=8) as pool:  # several idle connections in daphne's pool
        assert set(pool.map(lambda _: client.request("GET", "/api/worklist/")[0], range(32))) == {200}
    assert _terminate("readingroom-daphne") >= 2
    assert [client.request("GET", "/api/worklist/")[0] for _ in range(20)] == [200] * 20

    _terminate("readingroom-celery")
    body = {"findings": "Clear.", "impression": "Normal.", "labels": {}}
    assert client.request("POST", f"/api/sessions/{session.pk}/report/", body)[0] == 201
    deadline = time.monotonic() + 60
    while GazeAnalysis.objects.get(session=session).status not in {"done", "failed"}:
        assert time.monotonic() < deadline, "the worker did not recover from its dropped connection"
        time.sleep(0.3)
    assert GazeAnalysis.objects.get(session=session).status == "done"


_DISK_FULL = """
CREATE OR REPLACE FUNCTION test_disk_full() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END
$$ LANGUAGE plpgsql;
CREATE TRIGGER test_disk_full BEFORE INSERT ON gaze_gazechunk FOR EACH ROW EXECUTE FUNCTION test_disk_full();
"""
_DISK_FREED = (
    "DROP TRIGGER IF EXISTS test_disk_full ON gaze_gazechunk; DROP FUNCTION IF EXISTS test_disk_full();"
)


def _batch(seq: int) -> dict:
    t = [seq * 100.0 + 2.0 * i for i in range(50)]
    return {"type": "gaze_batch", "stream": "disk", "seq": seq, "device": "sim",
            "samples": {"t": t, "x": [10.0] * 50, "y": [20.0] * 50}}  # fmt: skip


async def _send_and_collect_acks(url: str, headers: dict, seqs: list[int]) -> set[int]:
    """Send the batches, then read replies until each got one or the server closed the socket."""
    acked: set[int] = set()
    async with websockets.connect(url, additional_headers=headers) as ws:
        for seq in seqs:
            await ws.send(json.dumps(_batch(seq)))
        try:
            for _ in seqs:
                reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if reply.get("type") == "ack":
                    acked.add(reply["seq"])
        except websockets.ConnectionClosed:
            pass  # the server gave up on the socket: the sender reconnects and resends what is unacknowledged
    return acked


def test_disk_full_while_writing_gaze_loses_and_duplicates_nothing(live_stack, session):
    client = Browserless(live_stack.url)
    client.login(READER, PASSWORD)
    url = f"{live_stack.ws_url}/ws/gaze/{session.pk}/"
    headers = {"Cookie": client.cookie_header(), "Origin": live_stack.url}  # the page's origin, with its port

    acked = asyncio.run(_send_and_collect_acks(url, headers, list(range(5))))
    assert acked == set(range(5))
    with connection.cursor() as cursor:
        cursor.execute(_DISK_FULL)
    try:
        during = asyncio.run(_send_and_collect_acks(url, headers, list(range(5, 10))))
        assert during == set(), "a batch was acknowledged though it could not be written"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(_DISK_FREED)
    # Space again: the sender resends everything it holds unacknowledged.
    assert asyncio.run(_send_and_collect_acks(url, headers, list(range(5, 10)))) == set(range(5, 10))

    seqs = sorted(GazeChunk.objects.filter(session=session).values_list("seq", flat=True))
    assert seqs == list(range(10))  # each batch once
    assert sum(GazeChunk.objects.filter(session=session).values_list("n_samples", flat=True)) == 500

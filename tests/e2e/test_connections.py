"""Database connections stay bounded under daphne and the Celery worker (PostgreSQL only).

Persistent connections (CONN_MAX_AGE > 0) do not work under ASGI: each request may run in a new thread, and
a connection kept by a thread that is gone is never closed. Many requests through a real daphne, and many
tasks through a real worker, must leave no more connections open than their pools allow.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import websockets
from django.conf import settings
from django.db import connection

from readingroom.reading.models import ReadingProject
from tests.e2e.http import Browserless

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

READER, PASSWORD = "conn-reader", "conn-reader-pass"


_OTHERS = (
    "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND application_name <> 'connection-watch' GROUP BY application_name"
)


class ConnectionWatch:
    """Samples the number of other connections to the test database while a load runs.

    ``exceeded`` is set as soon as the count passes ``bound``, so that the load can stop before a leak
    exhausts the server's connections (the server is shared with other databases).
    """

    def __init__(self, *, per_process: int, bound: int):
        self.per_process, self.bound, self.peak, self.peak_by_name = per_process, bound, 0, {}
        self.exceeded, self._stop = threading.Event(), threading.Event()
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold", "application_name"):
            params.pop(key, None)
        self._conn = psycopg.connect(**params, application_name="connection-watch", autocommit=True)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            by_name = dict(self._conn.execute(_OTHERS).fetchall())
            count = sum(by_name.values())
            if count > self.peak:
                self.peak, self.peak_by_name = count, by_name
            if count > self.bound or max(by_name.values(), default=0) > self.per_process:
                self.exceeded.set()
            self._stop.wait(0.05)

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("counting database connections needs PostgreSQL (set DATABASE_URL); SQLite has none")


@pytest.fixture
def sessions(tmp_path):
    """Ten started reading sessions of one reader, on ten imported studies."""
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign, session_start
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username=READER, password=PASSWORD, roles=["reader"])
    images = [
        image_import_dicom(path=write_dicom(tmp_path / f"c{i}.dcm", rows=40, columns=32, seed=i)).image
        for i in range(10)
    ]
    project = ReadingProject.objects.create(name="connections")
    assignments = project_assign(project=project, reader=reader, studies=[i.study for i in images])
    return [
        (session_start(assignment_id=a.pk, reader=reader), image)
        for a, image in zip(assignments, images, strict=True)
    ]


async def _views(ws_url: str, cookie: str, targets: list[tuple[int, int]]) -> None:
    # the page's origin, with its port (the server checks scheme, host and port)
    headers = {"Cookie": cookie, "Origin": "http://" + ws_url.split("://", 1)[1].split("/", 1)[0]}
    for session_id, image_id in targets:
        async with websockets.connect(f"{ws_url}/ws/gaze/{session_id}/", additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "view", "seq": 0, "t": 0.0, "image_id": image_id,
                                      "image_region": [0, 0, 32, 40], "screen_rect": [0, 0, 320, 400]}))  # fmt: skip
            assert json.loads(await ws.recv())["type"] == "ack"


def test_daphne_and_worker_connections_stay_bounded(postgres_only, live_stack, sessions):
    from readingroom.gaze.models import GazeAnalysis

    client = Browserless(live_stack.url)
    client.login(READER, PASSWORD)
    paths = ["/api/worklist/", "/api/auth/me/", *(f"/api/sessions/{s.pk}/results/" for s, _ in sessions)]

    # Each program (daphne, the worker) within its pool, whatever the number of requests; the test process
    # itself holds one more.
    watch = ConnectionWatch(per_process=settings.DB_POOL_MAX_SIZE, bound=2 * settings.DB_POOL_MAX_SIZE + 1)

    def get(path: str) -> int:
        return 0 if watch.exceeded.is_set() else client.request("GET", path)[0]

    with watch:
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(get, paths * 16))
        assert not watch.exceeded.is_set(), f"{watch.peak_by_name} connections: more than the pools allow"
        assert set(statuses) <= {200, 404}, statuses  # results of an unsubmitted session are 404
        asyncio.run(_views(live_stack.ws_url, client.cookie_header(), [(s.pk, i.pk) for s, i in sessions]))
        # Submitting the ten reports puts twenty tasks through the worker.
        for session, _ in sessions:
            status, body = client.request("POST", f"/api/sessions/{session.pk}/report/",
                                          {"findings": "Clear.", "impression": "Normal.", "labels": {}})  # fmt: skip
            assert status == 201, body
        _wait_until_processed([s.pk for s, _ in sessions], GazeAnalysis)
    assert not watch.exceeded.is_set(), f"{watch.peak_by_name} connections: more than the pools allow"


def _wait_until_processed(session_ids: list[int], model, timeout: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    done = {model.Status.DONE, model.Status.FAILED}
    while time.monotonic() < deadline:
        statuses = set(model.objects.filter(session_id__in=session_ids).values_list("status", flat=True))
        if statuses <= done:
            return
        time.sleep(0.3)
    raise AssertionError(f"analyses still {statuses} after {timeout} s")

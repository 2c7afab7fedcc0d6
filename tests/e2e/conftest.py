"""The real stack for end-to-end tests: a daphne server and a Celery worker process on the test database.

Both processes inherit VAR_DIR (so they share the secret key, media folder and filesystem broker queue with
the test process) and get DATABASE_URL pointing at the test database. With REDIS_URL/CELERY_BROKER_URL set
(the PostgreSQL CI run) they use Redis instead.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pytest
from django.db import connection

from tests.e2e.processes import free_port, start_daphne, start_worker, stop

if TYPE_CHECKING:
    from readingroom.reading.models import ReadingSession


@dataclass
class LiveStack:
    url: str
    ws_url: str
    worker: subprocess.Popen
    server: subprocess.Popen


def _release_database(django_db_blocker) -> None:
    """Wait until the stopped processes' PostgreSQL sessions are gone (then the test database can be dropped)."""
    if connection.vendor != "postgresql":
        return
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for _ in range(50):
            cursor.execute(query)
            if not cursor.fetchall():
                return
            time.sleep(0.1)
        # A backend of a killed process can outlive it briefly; end it rather than fail the teardown.
        cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({query}) AS others")


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveStack]:
    """daphne + a Celery worker (queues default, io, gpu) serving the test database."""
    logs = tmp_path_factory.mktemp("stack-logs")
    worker_log, server_log = logs / "worker.log", logs / "daphne.log"
    port = free_port()
    server = start_daphne(server_log, port=port)
    try:
        worker = start_worker(worker_log)
    except RuntimeError:
        stop(server)
        raise
    try:
        yield LiveStack(
            url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}", worker=worker, server=server
        )
    finally:
        stop(server)
        stop(worker)
        _release_database(django_db_blocker)
        for log in (worker_log, server_log):
            text = log.read_text()
            if "Traceback" in text:
                sys.stderr.write(f"\n--- {log.name} ---\n{text[-5000:]}\n")


READER, PASSWORD = "fault-reader", "fault-reader-pass"


@pytest.fixture
def session_with_gaze(tmp_path) -> ReadingSession:
    """A reader's open session with a view and two seconds of fixations on the image."""
    from readingroom.core.services import user_create
    from readingroom.gaze.services import gaze_batch_store, view_event_store
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign, session_start
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username=READER, password=PASSWORD, roles=["reader"])
    image = image_import_dicom(path=write_dicom(tmp_path / "case.dcm", rows=200, columns=160)).image
    assignment = project_assign(project=ReadingProject.objects.create(name="faults"), reader=reader,
                                studies=[image.study])[0]  # fmt: skip
    session = session_start(assignment_id=assignment.pk, reader=reader)
    view_event_store(session_id=session.pk, message={
        "seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 160, 200], "screen_rect": [0, 0, 320, 400]})  # fmt: skip
    t = np.arange(1000) * 2.0
    x = np.where(t < 1000, 80.0, 240.0)
    for seq in range(10):
        s = slice(seq * 100, (seq + 1) * 100)
        gaze_batch_store(session_id=session.pk, message={
            "seq": seq, "device": "fault-sim", "samples": {"t": t[s].tolist(), "x": x[s].tolist(), "y": [100.0] * 100}})  # fmt: skip
    return session

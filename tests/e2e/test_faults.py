"""Fault tests through real processes: a worker killed mid-task (an analysis, a promotion), the broker down at
submit, Redis restarted while gaze streams.

Each test runs its own daphne and Celery workers against a throwaway Redis (broker and channel layer) on a
free port, never the machine's shared Redis, so that it can stop, restart and kill them. Needs
``redis-server`` (skips without).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import websockets
from django.db import connection, transaction

from readingroom.gaze.models import GazeAnalysis, GazeChunk
from readingroom.modeling.models import ModelEvaluation, Prediction, ProjectModel
from readingroom.reading.models import ReadingProject, ReadingSession
from tests.e2e.conftest import PASSWORD, READER
from tests.e2e.http import Browserless
from tests.e2e.processes import RedisServer, free_port, kill_hard, stack_env, start_daphne, start_worker, stop
from tests.readingroom.modeling.conftest import tiny_checkpoints  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@dataclass
class FaultStack:
    """daphne on a throwaway broker; tests start (and kill) the workers themselves."""

    url: str
    ws_url: str
    broker: RedisServer
    logs: Path

    def env(self, **overrides: str) -> dict[str, str]:
        return stack_env(
            CELERY_BROKER_URL=f"{self.broker.url}/0", REDIS_URL=f"{self.broker.url}/1", **overrides
        )

    def worker(self, name: str, **env: str):
        return start_worker(self.logs / f"{name}.log", pool="prefork", env=self.env(**env))


@pytest.fixture
def fault_stack(tmp_path) -> Iterator[FaultStack]:
    broker = RedisServer(tmp_path)
    broker.start()
    port = free_port()
    stack = FaultStack(
        url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}", broker=broker, logs=tmp_path
    )
    server = start_daphne(tmp_path / "daphne.log", port=port, env=stack.env())
    try:
        yield stack
    finally:
        stop(server)
        broker.stop()


def _client(stack: FaultStack) -> Browserless:
    client = Browserless(stack.url)
    client.login(READER, PASSWORD)
    return client


def _submit(stack: FaultStack, session: ReadingSession) -> int:
    client = _client(stack)
    body = {"findings": "Clear lungs.", "impression": "Normal.", "labels": {}}
    return client.request("POST", f"/api/sessions/{session.pk}/report/", body)[0]


def _processed(session: ReadingSession, timeout: float = 120.0) -> tuple[GazeAnalysis, Prediction]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        analysis = GazeAnalysis.objects.get(session=session)
        prediction = Prediction.objects.get(session=session)
        if analysis.status in {"done", "failed"} and prediction.status != "pending":
            return analysis, prediction
        time.sleep(0.3)
    raise AssertionError(f"session {session.pk}: analysis {analysis.status}, prediction {prediction.status}")


def _wait_for_text(log: Path, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in {log.name}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def test_worker_killed_mid_analysis_leaves_work_the_next_worker_finishes(fault_stack, session_with_gaze):
    session = session_with_gaze
    assert _submit(fault_stack, session) == 201
    # Hold the analysis row so the first worker cannot finish it, then kill -9 that worker mid-task.
    with transaction.atomic():
        GazeAnalysis.objects.select_for_update().get(session=session)
        first = fault_stack.worker("worker-1")
        _wait_for_text(fault_stack.logs / "worker-1.log", "readingroom.gaze.analyse_session[")
        kill_hard(first)
    assert "succeeded" not in (fault_stack.logs / "worker-1.log").read_text()
    assert GazeAnalysis.objects.get(session=session).status in {"pending", "running"}

    second = fault_stack.worker("worker-2", READING_TASK_STUCK_AFTER_S="0")
    try:
        analysis, prediction = _processed(session)
    finally:
        stop(second)
    assert analysis.status == "done", analysis.error
    assert analysis.sample_count == 1000 and analysis.fixation_count == 2
    assert prediction.status == "no_model"


def _until(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")  # fmt: skip
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_promotion_leaves_it_to_the_next_worker(fault_stack, tiny_checkpoints):  # noqa: F811
    from readingroom.core.services import user_create
    from readingroom.modeling.services import model_version_register

    if connection.vendor != "postgresql":
        pytest.skip("holding a row lock against the worker needs PostgreSQL")
    user_create(username="fault-engineer", password="fault-engineer-pass", roles=["engineer"])
    project = ReadingProject.objects.create(name="fault promotion")
    ProjectModel.objects.create(project=project)  # the row a promotion locks
    version = model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="f", version="1", activate=False
    )
    client = Browserless(fault_stack.url)
    client.login("fault-engineer", "fault-engineer-pass")
    status, queued = client.request("POST", f"/api/projects/{project.pk}/model/promote/",
                                    {"candidate": version.pk, "heldout_phantoms": 6})  # fmt: skip
    assert status == 202, queued
    # Hold the project's model row: the first worker evaluates, then waits to promote; kill -9 it there.
    with transaction.atomic():
        ProjectModel.objects.select_for_update().get(project=project)
        first = fault_stack.worker("worker-1")
        _until(_waiting_on_a_lock, "the worker to wait for the project's model row")
        kill_hard(first)
    evaluation = ModelEvaluation.objects.get(pk=queued["id"])
    assert evaluation.status == "running" and not evaluation.promoted  # its done and promotion rolled back

    second = fault_stack.worker("worker-2", MODEL_EVALUATION_STUCK_AFTER_S="0")  # recovers when it starts
    try:
        _until(
            lambda: ModelEvaluation.objects.get(pk=evaluation.pk).status in {"done", "failed"},
            "the promotion",
        )
    finally:
        stop(second)
    evaluation.refresh_from_db()
    assert evaluation.status == "done" and evaluation.promoted, (evaluation.status, evaluation.error)
    assert ProjectModel.objects.get(project=project).current == version


def _pool_processes(worker) -> list[int]:
    """The pids of a prefork worker's pool processes (the children of any of its threads)."""
    tasks = Path(f"/proc/{worker.pid}/task")
    if not tasks.is_dir():
        pytest.skip("finding a worker's pool processes needs Linux's /proc")
    pids = [int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()]
    assert pids, "the prefork worker has no pool process"
    return pids


def test_pool_process_killed_mid_analysis_hands_the_task_back_at_once(fault_stack, session_with_gaze):
    if connection.vendor != "postgresql":
        pytest.skip(
            "holding a task mid-way (running, its final write blocked) needs PostgreSQL's table locks"
        )
    session = session_with_gaze
    assert _submit(fault_stack, session) == 201
    log = fault_stack.logs / "worker.log"
    with transaction.atomic(), connection.cursor() as cursor:
        # The analysis may start (status running) but not store its fixations.
        cursor.execute("LOCK TABLE gaze_fixation IN SHARE MODE")
        worker = fault_stack.worker("worker")  # the reaper's deadline is far: only the redelivery can save it
        try:
            deadline = time.monotonic() + 60
            while GazeAnalysis.objects.get(session=session).status != "running":
                assert time.monotonic() < deadline, "the worker never started the analysis"
                time.sleep(0.1)
            for pid in _pool_processes(worker):
                os.kill(pid, signal.SIGKILL)
            _wait_for_text(log, "WorkerLostError")
        except BaseException:
            stop(worker)
            raise
    try:
        analysis, _ = _processed(session)
    finally:
        stop(worker)
    assert analysis.status == "done" and analysis.fixation_count == 2, analysis.error


def test_report_submitted_while_the_broker_is_down_is_processed_once_it_is_back(
    fault_stack, session_with_gaze
):
    session = session_with_gaze
    fault_stack.broker.stop()
    assert _submit(fault_stack, session) == 201  # committed, so it succeeded
    assert _submit(fault_stack, session) == 409  # a retry finds it submitted
    assert GazeAnalysis.objects.get(session=session).status == "pending"

    fault_stack.broker.start()  # back, on the same port; a worker starting drains the outbox
    worker = fault_stack.worker("worker")
    try:
        analysis, prediction = _processed(session)
    finally:
        stop(worker)
    assert analysis.status == "done" and analysis.fixation_count == 2, analysis.error
    assert prediction.status == "no_model"


def _batch(seq: int) -> dict:
    t = [10_000.0 + seq * 100.0 + 2.0 * i for i in range(50)]
    return {"type": "gaze_batch", "stream": "restart", "seq": seq, "device": "sim",
            "samples": {"t": t, "x": [50.0] * 50, "y": [60.0] * 50}}  # fmt: skip


async def _stream_through_a_restart(url: str, headers: dict, n: int, restart_after: int, restart) -> set[int]:
    """Send batches one at a time, each until acknowledged, reconnecting when the server drops the socket
    (as the frontend and the bridge do); Redis is restarted once ``restart_after`` batches are acknowledged."""
    acked: set[int] = set()
    seq, reconnects = 0, 0
    while seq < n:
        try:
            async with websockets.connect(url, additional_headers=headers) as ws:
                while seq < n:
                    if seq == restart_after and not restart.done:
                        restart()
                    await ws.send(json.dumps(_batch(seq)))
                    reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                    assert reply.get("type") == "ack" and reply["seq"] == seq, reply
                    acked.add(seq)
                    seq += 1
        except (websockets.ConnectionClosed, OSError, TimeoutError):
            reconnects += 1
            assert reconnects <= 20, "the server never took the stream back after Redis restarted"
            await asyncio.sleep(0.2)
    return acked


class _Restart:
    def __init__(self, broker: RedisServer):
        self.broker, self.done = broker, False

    def __call__(self) -> None:
        self.broker.restart()
        self.done = True


def test_redis_restarted_while_gaze_streams_loses_and_duplicates_nothing(fault_stack, session_with_gaze):
    session = session_with_gaze
    client = _client(fault_stack)
    url = f"{fault_stack.ws_url}/ws/gaze/{session.pk}/"
    headers = {
        "Cookie": client.cookie_header(),
        "Origin": fault_stack.url,
    }  # the page's origin, with its port
    acked = asyncio.run(_stream_through_a_restart(url, headers, 30, 10, _Restart(fault_stack.broker)))
    assert acked == set(range(30))

    chunks = GazeChunk.objects.filter(session=session, stream="restart")
    assert sorted(chunks.values_list("seq", flat=True)) == list(range(30))  # each batch stored once
    assert sum(chunks.values_list("n_samples", flat=True)) == 30 * 50

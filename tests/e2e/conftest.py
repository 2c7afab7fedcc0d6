"""The real stack for end-to-end tests: a daphne server and a Celery worker process on the test database.

Both processes inherit VAR_DIR (so they share the secret key, media folder and filesystem broker queue with
the test process) and get DATABASE_URL pointing at the test database. With REDIS_URL/CELERY_BROKER_URL set
(the PostgreSQL CI run) they use Redis instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]
# As in production (docker-compose.yml): a WebSocket message over 512 KiB closes the socket before it is read.
DAPHNE_LIMITS = ["--websocket-max-message-size", "524288", "--websocket-max-frame-size", "524288"]


@dataclass
class LiveStack:
    url: str
    ws_url: str
    worker: subprocess.Popen
    server: subprocess.Popen


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _wait_for_worker(log: Path, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"celery worker exited with code {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        if "ready" in log.read_text():
            return
        time.sleep(0.3)
    raise RuntimeError(f"celery worker not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readingroom.settings",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    bin_dir = Path(sys.executable).parent
    worker_log = logs / "worker.log"
    worker_out = worker_log.open("w")
    worker = subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "readingroom", "worker", "-Q", "default,io,gpu", "-P", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],  # fmt: skip
        cwd=REPO_ROOT, env=env, stdout=worker_out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    port = _free_port()
    server_log = logs / "daphne.log"
    server_out = server_log.open("w")
    server = subprocess.Popen(
        [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), *DAPHNE_LIMITS, "readingroom.asgi:application"],
        cwd=REPO_ROOT, env=env, stdout=server_out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for_port(port, server)
        _wait_for_worker(worker_log, worker)
        yield LiveStack(
            url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}", worker=worker, server=server
        )
    finally:
        _stop(server)
        _stop(worker)
        worker_out.close()
        server_out.close()
        _release_database(django_db_blocker)
        for log in (worker_log, server_log):
            text = log.read_text()
            if "Traceback" in text:
                sys.stderr.write(f"\n--- {log.name} ---\n{text[-5000:]}\n")

"""Server processes for end-to-end and fault tests: Celery workers, daphne, a throwaway Redis.

Every process inherits VAR_DIR from the test process (secret key, media folder, filesystem broker queue) and
gets DATABASE_URL pointing at the test database. Fault tests restart or kill these processes; never the
machine's own Redis or PostgreSQL, which other users share.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
# As in production (docker-compose.yml): a WebSocket message over 512 KiB closes the socket before it is read.
DAPHNE_LIMITS = ["--websocket-max-message-size", "524288", "--websocket-max-frame-size", "524288"]


def database_url() -> str:
    """The test database as a URL for child processes."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


def stack_env(**overrides: str) -> dict[str, str]:
    """The environment of a server process on the test database (``overrides`` win)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readingroom.settings",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        **overrides,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def wait_for_log(log: Path, process: subprocess.Popen, text: str, timeout: float = 90.0) -> None:
    """Wait until ``text`` appears in a process's log (a worker prints "ready" once it consumes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        if text in log.read_text():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{text!r} not in the log after {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Terminate a process (SIGTERM, then SIGKILL after 15 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_hard(process: subprocess.Popen) -> None:
    """``kill -9`` a process and every child of its process group (prefork pool processes included)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_worker(
    log: Path, *, queues: str = "default,io,gpu", pool: str = "solo", env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A Celery worker process (in its own process group) that is ready to consume when this returns."""
    out = log.open("w")
    worker = subprocess.Popen(
        [str(BIN_DIR / "celery"), "-A", "readingroom", "worker", "-Q", queues, "-P", pool,
         *(["-c", "1"] if pool == "prefork" else []),
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],  # fmt: skip
        cwd=REPO_ROOT, env=env or stack_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    out.close()
    try:
        wait_for_log(log, worker, "ready")
    except RuntimeError:
        kill_hard(worker)
        raise
    return worker


def start_daphne(log: Path, *, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    out = log.open("w")
    server = subprocess.Popen(
        [str(BIN_DIR / "daphne"), "-b", "127.0.0.1", "-p", str(port), *DAPHNE_LIMITS, "readingroom.asgi:application"],
        cwd=REPO_ROOT, env=env or stack_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    out.close()
    try:
        wait_for_port(port, server)
    except RuntimeError:
        kill_hard(server)
        raise
    return server


class RedisServer:
    """A throwaway ``redis-server`` on a free port, without persistence, that a test may stop and restart."""

    def __init__(self, workdir: Path):
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
        self.executable, self.workdir, self.port = executable, workdir, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],  # fmt: skip
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, self.process, timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            kill_hard(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

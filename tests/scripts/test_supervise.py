"""scripts/run's process supervision: SIGTERM or Ctrl-C to the script stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _start(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    pids = tmp_path / "pids"
    script = (
        f'source "{REPO_ROOT}/scripts/_supervise.sh"\n'
        f'start_child sleep 300; echo $! >> "{pids}"\n'
        f'start_child sleep 300; echo $! >> "{pids}"\n'
        "wait_children\n"
    )
    process = subprocess.Popen(["bash", "-c", script])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if pids.exists() and len(pids.read_text().split()) == 2:
            return process, [int(p) for p in pids.read_text().split()]
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the supervised children did not start")


def _assert_all_stopped(process: subprocess.Popen, children: list[int]) -> None:
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.05)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_sigterm_stops_every_child(tmp_path):
    process, children = _start(tmp_path)
    process.send_signal(signal.SIGTERM)
    _assert_all_stopped(process, children)


def test_sigint_stops_every_child(tmp_path):
    process, children = _start(tmp_path)
    process.send_signal(signal.SIGINT)
    _assert_all_stopped(process, children)


def test_run_script_uses_the_supervisor():
    text = (REPO_ROOT / "scripts" / "run").read_text()
    assert "_supervise.sh" in text
    assert text.count("start_child") == 2 and "wait_children" in text

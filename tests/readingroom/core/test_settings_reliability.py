"""Settings that keep the platform up under load and faults: pooled PostgreSQL connections, late acks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_PRINT = (
    "import json, readingroom.settings as s; db = s.DATABASES['default']; print(json.dumps({"
    "'max_age': db['CONN_MAX_AGE'], 'options': db.get('OPTIONS', {}), 'reject': s.CELERY_TASK_REJECT_ON_WORKER_LOST,"
    "'acks_late': s.CELERY_TASK_ACKS_LATE, 'transport': s.CELERY_BROKER_TRANSPORT_OPTIONS}))"
)


def _settings(tmp_path, **env) -> dict:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    environment.update(VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT / "platform"), **env)
    result = subprocess.run(
        [sys.executable, "-c", _PRINT], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_server_processes_pool_postgresql_connections_and_never_keep_them_per_thread(tmp_path):
    loaded = _settings(tmp_path, DATABASE_URL="postgres://u@db.example:5432/rr", DB_POOL_MAX_SIZE="6")
    assert loaded["max_age"] == 0
    assert loaded["options"]["pool"]["max_size"] == 6
    assert loaded["options"]["application_name"].startswith("readingroom-")
    without_pool = _settings(tmp_path, DATABASE_URL="postgres://u@db.example:5432/rr", DB_POOL_MAX_SIZE="0")
    assert without_pool["max_age"] == 0 and "pool" not in without_pool["options"]


def test_tasks_go_back_to_the_queue_when_their_worker_dies(tmp_path):
    loaded = _settings(
        tmp_path, CELERY_BROKER_URL="redis://broker.example:6379/1", CELERY_VISIBILITY_TIMEOUT="900"
    )
    assert loaded["acks_late"] and loaded["reject"]
    assert loaded["transport"] == {"visibility_timeout": 900}

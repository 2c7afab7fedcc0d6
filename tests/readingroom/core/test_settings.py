"""Settings from the environment: production refuses insecure values with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "k3J9-x" * 10


def _load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PRODUCTION"}}
    environment.update(VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT / "platform"), **env)
    return subprocess.run(
        [sys.executable, "-c", "import readingroom.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRODUCTION": "true"}, "needs SECRET_KEY"),
        ({"PRODUCTION": "true", "SECRET_KEY": "short"}, "insecure SECRET_KEY"),
        ({"PRODUCTION": "true", "SECRET_KEY": "django-insecure-" + GOOD_KEY}, "insecure SECRET_KEY"),
        ({"PRODUCTION": "true", "SECRET_KEY": GOOD_KEY, "DEBUG": "true"}, "refuses DEBUG"),
        ({"PRODUCTION": "true", "SECRET_KEY": GOOD_KEY}, "needs ALLOWED_HOSTS"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ],
)
def test_insecure_or_malformed_settings_refuse_to_load(tmp_path, env, message):
    result = _load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_with_secure_settings_loads(tmp_path):
    result = _load_settings(tmp_path, PRODUCTION="true", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="cxr.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['cxr.example.org']"


def test_secret_key_file_is_read(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    result = _load_settings(tmp_path, PRODUCTION="true", SECRET_KEY_FILE=str(key_file), ALLOWED_HOSTS="a.org")
    assert result.returncode == 0, result.stderr


def test_embedded_default_creates_and_keeps_a_random_key(tmp_path):
    assert _load_settings(tmp_path).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _load_settings(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first and len(first) >= 50

"""The production settings pass Django's deployment checklist and refuse a wildcard host."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.readingroom.core.test_settings import GOOD_KEY, ROOT, _load_settings


def test_production_refuses_a_wildcard_allowed_host(tmp_path):
    for hosts in ("*", "cxr.example.org,*"):
        result = _load_settings(tmp_path, PRODUCTION="true", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=hosts)
        assert result.returncode != 0 and "refuses ALLOWED_HOSTS='*'" in result.stderr


def test_a_malformed_proxy_header_setting_is_refused(tmp_path):
    result = _load_settings(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert result.returncode != 0 and "write HEADER=value" in result.stderr


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG", "SECRET_KEY"))}
    env.update(PRODUCTION="true", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="cxr.example.org", VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "DEBUG"],
        capture_output=True, text=True, env=env, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

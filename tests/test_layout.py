"""The shape of the repository: import roots, dependency rules, and the production compose file."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_module_is_not_shadowed():
    assert not (ROOT / "platform" / "__init__.py").exists(), "platform/ must stay a plain folder"
    result = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system())"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Linux"


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("library", ["gaze_capture", "cogaze"])
def test_libraries_do_not_import_the_platform(library):
    forbidden = {"django", "celery", "channels", "rest_framework", "readingroom", "kombu"}
    offenders = {}
    for path in sorted((ROOT / library).rglob("*.py")):
        found = _imported_roots(path) & forbidden
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}


def test_cogaze_uses_no_gaze_capture_device_code():
    offenders = []
    for path in sorted((ROOT / "cogaze").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
            if any(
                n.startswith(("gaze_capture.devices", "gaze_capture.bridge")) for n in [module or "", *names]
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_has_the_production_services():
    services = _compose_services()
    assert {"postgres", "redis", "web", "worker", "gpu-worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    gpu = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    assert "-Q" in services["gpu-worker"]["command"] and "gpu" in services["gpu-worker"]["command"]
    worker_queues = services["worker"]["command"][services["worker"]["command"].index("-Q") + 1]
    assert set(worker_queues.split(",")) == {"default", "io"}


def test_compose_commands_name_entry_points_that_exist():
    from django.core.management import get_commands

    for name, service in _compose_services().items():
        command = service.get("command")
        if not command or name in {"postgres", "redis"}:
            continue
        program = command[0]
        if program == "daphne":
            module, attribute = command[-1].split(":")
            assert hasattr(importlib.import_module(module), attribute), name
        elif program == "celery":
            app_module = command[command.index("-A") + 1]
            assert importlib.import_module(app_module).celery_app is not None, name
            assert command[command.index("-A") + 2] in {"worker", "beat"}, name
        elif program == "python":
            assert command[1] == "manage.py" and (ROOT / "manage.py").exists(), name
            assert command[2] in get_commands(), name
        else:
            pytest.fail(f"service {name}: unknown program {program}")
    assert (ROOT / "Dockerfile").exists()

"""gaze_capture is a library: it must never import Django, Celery or the platform."""

import ast
import subprocess
import sys
from pathlib import Path

import gaze_capture

PKG = Path(gaze_capture.__file__).resolve().parent
FORBIDDEN = ("django", "celery", "readingroom", "channels", "rest_framework", "torch", "cogaze")


def test_no_forbidden_imports_in_source():
    bad = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_importing_everything_loads_no_framework():
    code = (
        "import sys, pkgutil, importlib, gaze_capture\n"
        "for m in pkgutil.walk_packages(gaze_capture.__path__, 'gaze_capture.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(bad); assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parent)
    assert out.returncode == 0, out.stdout + out.stderr

"""The layering rules of DESIGN.md §1 for the cogaze package."""

from __future__ import annotations

import ast
from pathlib import Path

import cogaze

FORBIDDEN = {
    "django",
    "celery",
    "readingroom",
    "rest_framework",
    "channels",
    "torchvision",
    "timm",
    "open_clip",
}
# cogaze may use gaze_capture only through its array helpers (priors, the simulated reader and its ROI type),
# never device code
ALLOWED_GAZE = {"gaze_capture", "gaze_capture.priors", "gaze_capture.simulate", "gaze_capture.metrics"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_cogaze_imports_no_platform_code_and_no_gaze_devices():
    root = Path(cogaze.__file__).resolve().parent
    files = list(root.rglob("*.py"))
    assert len(files) > 10
    for f in files:
        for name in _imports(f):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{f.name} imports {name}"
            if top == "gaze_capture":
                assert name in ALLOWED_GAZE, f"{f.name} imports {name}"


def test_model_code_never_imports_training_code():
    root = Path(cogaze.__file__).resolve().parent
    for name in ("model.py", "losses.py", "vision.py", "text.py", "perceiver.py", "decoder.py"):
        assert not any(i.startswith(("cogaze.train", "cogaze.evaluate")) for i in _imports(root / name)), name

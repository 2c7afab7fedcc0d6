"""The ASGI entry point freezes its start-up objects out of the garbage collector's reach, so that a full
collection in the server does not walk Django's and the consumers' ~130,000 start-up objects (a 60-150 ms
pause of the event loop that showed in the gaze acknowledgements' p99)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import gc, sys
import readingroom.asgi
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
print(frozen, tracked, "numpy" in sys.modules, "msgpack" in sys.modules)
"""


def test_asgi_import_leaves_startup_objects_frozen_and_the_heap_the_collector_walks_small():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
           "DJANGO_SETTINGS_MODULE": "readingroom.settings"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()  # fmt: skip
    frozen, tracked = int(out[0]), int(out[1])
    assert out[2:] == ["True", "True"], "the capture socket's numpy and msgpack must be imported at start-up"
    assert frozen > 50_000, f"only {frozen} objects frozen"
    assert tracked < frozen / 10, f"{tracked} objects left for the collector against {frozen} frozen"

"""WADO-RS frames through one daphne process: response size, time and the server's peak memory.

A real chest radiograph (pydicom-data's RG1_UNCR.dcm, 1955x1841, 16 bits allocated: 7.2 MB per frame) is
imported into an embedded (SQLite) instance; one daphne process serves it; a curator asks for frame 1 once,
then for a frame list of ``--repeat`` copies of frame 1 (the request that took daphne from 1.8 GB to 7.4 GB
before frame lists were deduplicated and streamed), then frame 1 in each lossless transfer syntax.
"Peak RSS" is daphne's VmHWM (high-water mark of resident memory) after the request.

    .venv/bin/python benchmarks/dicomweb_frames.py --repeat 200
    # the same against another version of the platform (e.g. `git archive REV platform | tar -x -C DIR`):
    .venv/bin/python benchmarks/dicomweb_frames.py --repeat 20 --platform DIR/platform
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
ACCEPTS = {
    "uncompressed": 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1',
    "JPEG-LS lossless": 'multipart/related; type="image/jls"; transfer-syntax=1.2.840.10008.1.2.4.80',
    "JPEG 2000 lossless": 'multipart/related; type="image/jp2"; transfer-syntax=1.2.840.10008.1.2.4.90',
}


def _setup(env: dict[str, str], platform: Path) -> str:
    """Migrate, import the radiograph and create a curator; returns the instance's WADO-RS URL."""
    os.environ.update(env)
    sys.path[:0] = [str(platform), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from pydicom.data import get_testdata_file

    from readingroom.core.services import user_create
    from readingroom.studies.dicomweb import series_uid_of
    from readingroom.studies.services import image_import_dicom

    call_command("migrate", verbosity=0)
    user_create(username="bench", password="bench-pass-123", roles=["curator"])
    image = image_import_dicom(path=get_testdata_file("RG1_UNCR.dcm", download=False)).image
    return f"/api/dicomweb/studies/{image.study.study_uid}/series/{series_uid_of(image)}/instances/{image.sop_uid}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="copies of frame 1 in the long frame list")
    parser.add_argument(
        "--platform", type=Path, default=ROOT / "platform", help="the platform folder to serve"
    )
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="readingroom-bench-")
    env = {
        **os.environ,
        "VAR_DIR": var_dir,
        "PYTHONPATH": os.pathsep.join([str(args.platform.resolve()), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readingroom.settings",
        "LOG_LEVEL": "ERROR",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    url = _setup(env, args.platform.resolve())
    port = _free_port()
    daphne = Path(sys.executable).parent / "daphne"
    server = subprocess.Popen([str(daphne), "-b", "127.0.0.1", "-p", str(port), "readingroom.asgi:application"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        for _ in range(100):
            try:
                session.get(f"{base}/api/auth/csrf/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        login = session.post(f"{base}/api/auth/login/", json={"username": "bench", "password": "bench-pass-123"},
                             headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=30)  # fmt: skip
        login.raise_for_status()
        print(f"daphne peak RSS after start and login: {_peak_rss_mb(server.pid):.0f} MB\n")
        print("| request | Accept | status | body MB | seconds | daphne peak RSS MB |")
        print("|---|---|---:|---:|---:|---:|")
        requests_to_make = [("frames/1", "uncompressed"), (f"frames/1 x {args.repeat}", "uncompressed")]
        requests_to_make += [("frames/1", name) for name in ACCEPTS if name != "uncompressed"]
        for label, accept in requests_to_make:
            frames = ",".join(["1"] * args.repeat) if "x" in label else "1"
            started = time.perf_counter()
            response = session.get(
                f"{base}{url}/frames/{frames}", headers={"Accept": ACCEPTS[accept]}, timeout=600
            )
            seconds = time.perf_counter() - started
            print(f"| {label} | {accept} | {response.status_code} | {len(response.content) / 1e6:.1f} | "
                  f"{seconds:.2f} | {_peak_rss_mb(server.pid):.0f} |")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Time to first image in the browser: from opening a case to its first image drawn by the viewer.

The real stack on the embedded default (SQLite, one daphne process serving the built frontend) and Debian's
headless Chromium, CPU rendering. Cases are copies of pydicom-data's real chest PA (RG1_UNCR, 1955x1841,
15 bits, MONOCHROME1), each a distinct study, so that no open is served from another's cache.

- warm: one signed-in page; each open is a click on the worklist's next case (a single-page navigation),
  then back to the worklist. Timed from the click (mark ``rr:open-case``) to the first image on screen
  (mark ``rr:first-image``, set when the viewer has drawn it).
- cold: each open is a new browser context (empty HTTP cache, no loaded code) that loads
  ``/read/<assignment>`` directly with the session cookie. Timed from navigation start to ``rr:first-image``
  (HTML, scripts, session start, Cornerstone, DICOMweb metadata and frame).

    python benchmarks/time_to_first_image.py [--opens 50] [--mode warm cold]

Needs ``frontend/dist`` (``npm --prefix frontend run build``) and Chromium (``CHROMIUM``, default
/usr/bin/chromium). Prints a markdown table (ms).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "bench-reader", "bench-pass-123"


def _environment() -> dict[str, str]:
    var_dir = tempfile.mkdtemp(prefix="readingroom-ttfi-")
    env = {
        **os.environ,
        "VAR_DIR": var_dir,
        "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readingroom.settings",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    return env


def _setup_cases(n: int, folder: Path) -> list[int]:
    """Migrate, create the reader and ``n`` cases; returns the assignment ids in worklist order."""
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    import django

    django.setup()
    import numpy as np
    import pydicom
    from django.core.management import call_command
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    from readingroom.core.services import user_create
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_dicom

    call_command("migrate", verbosity=0)
    reader = user_create(username=USER, password=PASSWORD, roles=["reader"])
    source = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm", download=False))
    studies = []
    for i in range(n):
        ds = source.copy()
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.PatientID = f"BENCH-{i}"
        pixels = ds.pixel_array.copy()
        pixels[0, 0] = np.uint16(i)  # a distinct file per case (imports are deduplicated by content)
        ds.PixelData = pixels.tobytes()
        path = folder / f"case{i}.dcm"
        ds.save_as(path, enforce_file_format=True)
        studies.append(image_import_dicom(path=path, indication="Benchmark.").image.study)
    project = ReadingProject.objects.create(name="ttfi")
    return [a.id for a in project_assign(project=project, reader=reader, studies=studies)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    daphne = Path(sys.executable).parent / "daphne"
    server = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "readingroom.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}"
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("daphne did not start")


FIRST_IMAGE = "() => performance.getEntriesByName('rr:first-image').length > 0"
CLEAR = "() => { performance.clearMarks('rr:first-image'); performance.clearMarks('rr:open-case'); }"
WARM_MS = (
    "() => performance.getEntriesByName('rr:first-image').at(-1).startTime"
    " - performance.getEntriesByName('rr:open-case').at(-1).startTime"
)


def _login(page, url: str) -> None:
    page.goto(url + "/")
    page.get_by_test_id("login-username").fill(USER)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("worklist-item").first.wait_for(timeout=30_000)


def _measure(url: str, assignments: list[int], modes: list[str]) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    results: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True, args=args
        )
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        _login(page, url)
        state = context.storage_state()
        if "warm" in modes:
            times = []
            for index in range(len(assignments)):
                page.evaluate(CLEAR)
                page.get_by_test_id("open-case").nth(index).click()
                page.wait_for_function(FIRST_IMAGE, timeout=60_000)
                times.append(page.evaluate(WARM_MS))
                page.go_back()
                page.get_by_test_id("worklist-item").first.wait_for(timeout=30_000)
            results["warm"] = times
        context.close()
        if "cold" in modes:
            times = []
            for assignment in assignments:
                cold = browser.new_context(viewport={"width": 1920, "height": 1080}, storage_state=state)
                page = cold.new_page()
                page.goto(f"{url}/read/{assignment}")
                page.wait_for_function(FIRST_IMAGE, timeout=60_000)
                times.append(
                    page.evaluate("() => performance.getEntriesByName('rr:first-image')[0].startTime")
                )
                cold.close()
            results["cold"] = times
        browser.close()
    return results


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--opens", type=int, default=50, help="cases opened per mode")
    parser.add_argument("--mode", nargs="+", default=["warm", "cold"], choices=["warm", "cold"])
    args = parser.parse_args()
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        sys.exit("no frontend/dist: run `npm --prefix frontend run build` first")
    env = _environment()
    with tempfile.TemporaryDirectory() as folder:
        assignments = _setup_cases(args.opens, Path(folder))
    server, url = _start_server(env)
    try:
        results = _measure(url, assignments, args.mode)
    finally:
        server.terminate()
        server.wait(timeout=15)
    print("| mode | opens | p50 ms | p95 ms | max ms | mean ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, times in results.items():
        print(
            f"| {mode} | {len(times)} | {_percentile(times, 0.5):.0f} | {_percentile(times, 0.95):.0f} "
            f"| {max(times):.0f} | {statistics.fmean(times):.0f} |"
        )


if __name__ == "__main__":
    main()

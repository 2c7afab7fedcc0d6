"""QIDO-RS search time against the number of instances (in process, embedded SQLite).

Studies of one bitmap-imported instance each are created as database rows (their Secondary Capture headers
are built from the rows, so no files are needed); a curator searches every level, with a matching key that
selects a tenth of them, a page of 100, and a date range. QIDO matches in Python over the instances the
user may see (headers of DICOM files are cached per process), so the time grows linearly with them.

    .venv/bin/python benchmarks/dicomweb_qido.py --instances 1000 5000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _populate(n: int) -> None:
    from readingroom.studies.models import Image, Patient, Study

    Image.objects.all().delete()
    Study.objects.all().delete()
    Patient.objects.all().delete()
    patients = Patient.objects.bulk_create(Patient(key=f"bench{i:08d}", sex="FM"[i % 2]) for i in range(n))
    studies = Study.objects.bulk_create(
        Study(
            patient=p, study_uid=f"2.25.{i + 1}", modality="DX" if i % 10 == 0 else "CR", description="chest"
        )
        for i, p in enumerate(patients)
    )
    Image.objects.bulk_create(
        Image(study=s, sop_uid=f"2.25.9{i + 1}", source_sha256=f"{i:064d}", modality=s.modality, rows=2048,
              columns=2048, bits_stored=12, photometric_interpretation="MONOCHROME2", window_center=2048,
              window_width=4096, pixels_file="x", display_file="x", thumbnail_file="x", view_position="PA")
        for i, s in enumerate(studies)
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="searches per query; the median is shown")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="readingroom-bench-")
    os.environ.update(VAR_DIR=var_dir, DJANGO_SETTINGS_MODULE="readingroom.settings", LOG_LEVEL="ERROR")
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from readingroom.core.services import user_create

    call_command("migrate", verbosity=0)
    user = user_create(username="bench", password="bench-pass-123", roles=["curator"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    queries = [
        ("/studies?limit=100", "first page of studies"),
        ("/studies?ModalitiesInStudy=DX&limit=100", "a tenth matches, first page"),
        ("/series?Modality=DX", "series, a tenth matches, all"),
        ("/instances?PatientID=bench0000001*", "wildcard, 10 match"),
        (f"/studies?StudyInstanceUID=2.25.{7}", "one UID (database filter)"),
    ]
    print("| instances | query | what | results | median ms |")
    print("|---:|---|---|---:|---:|")
    try:
        for n in args.instances:
            _populate(n)
            for query, what in queries:
                times, count = [], 0
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    response = client.get(f"/api/dicomweb{query}")
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.content[:200]
                    count = len(response.json())
                print(f"| {n:,} | `{query}` | {what} | {count} | {sorted(times)[len(times) // 2]:.0f} |")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

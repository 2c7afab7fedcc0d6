"""DICOM ingest throughput: import jobs (hash, header check, de-identification, the stored DICOM, database
rows) against plain pydicom read and save of the same files, in the same run.

The real samples (the two JPEG-baseline CR radiographs in ../shared/data/cxr_dicom_samples and pydicom-data's
RG1_UNCR.dcm, 1955x1841, uncompressed) are replicated to N files, each copy with its own patient and UIDs so
that nothing is skipped as already imported. Copies are written before timing starts.

    python benchmarks/ingest.py [--n 1000] [--workers 1 2] [--profile 25]

``--profile K`` runs the one-process import under cProfile and prints its K costliest functions (own time)
and the split of the import's time over its stages (read, hash, check, de-identify, write, rows).

The baseline is timed before and again after the imports (the machine's load moves between the two); the
pixels an import no longer decodes are derived when first read: the run also times that first read of
every image imported by the first process count (pixel file and display table from the stored DICOM).

Uses a fresh SQLite database in a temporary VAR_DIR (no server needed). Prints a markdown table.
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


def _sources() -> list[Path]:
    from pydicom.data import get_testdata_file

    samples = sorted((ROOT.parent / "shared" / "data" / "cxr_dicom_samples").glob("*.dcm"))
    rg1 = get_testdata_file("RG1_UNCR.dcm", download=False)
    found = samples + ([Path(rg1)] if rg1 else [])
    if not found:
        sys.exit("no samples: ../shared/data/cxr_dicom_samples and pydicom-data are both missing")
    return found


def _replicate(sources: list[Path], n: int, folder: Path) -> list[Path]:
    import pydicom
    from pydicom.uid import generate_uid

    folder.mkdir(parents=True)
    datasets = [pydicom.dcmread(p) for p in sources]
    out = []
    for i in range(n):
        ds = datasets[i % len(datasets)]
        ds.PatientID = f"BENCH-{i // 2:05d}"
        ds.PatientName = f"Bench^{i}"
        ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = folder / f"{i:05d}.dcm"
        ds.save_as(path)
        out.append(path)
    return out


def _plain(files: list[Path], out: Path) -> float:
    import pydicom

    out.mkdir(parents=True)
    start = time.perf_counter()
    for path in files:
        pydicom.dcmread(path).save_as(out / path.name)
    return time.perf_counter() - start


def _decode(files: list[Path]) -> float:
    import pydicom

    start = time.perf_counter()
    for path in files:
        pydicom.dcmread(path).pixel_array  # noqa: B018
    return time.perf_counter() - start


def _first_reads() -> float:
    """Seconds to read every imported image's pixels once (each derived from its stored DICOM)."""
    from readingroom.studies.models import Image
    from readingroom.studies.pixels import image_pixels

    start = time.perf_counter()
    for image in Image.objects.all():
        image_pixels(image)
    return time.perf_counter() - start


def _profiler(top: int):
    if not top:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


# the stages of one import, by the function whose cumulative time is that stage's (first match wins)
_STAGES = [
    ("read (dcmread)", "dcmread"),
    ("hash (SHA-256)", "sha256"),
    ("de-identify", "deidentify"),
    ("check header + pixel data (radiograph_header)", "radiograph_header"),
    ("decode pixels at import (pixel_array)", "pixel_array"),
    ("write de-identified DICOM (save_as into it)", "dicom_write"),
    ("  of which save_as", "save_as"),
    ("database rows", "image_commit_prepared"),
]


def _profile_report(profiler, top: int, elapsed: float) -> None:
    import io
    import pstats

    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    print(buf.getvalue())
    cumulative: dict[str, float] = {}
    for (_, _, name), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        cumulative[name] = max(cumulative.get(name, 0.0), ct)
    print(f"cumulative time of each stage's function (profiled run, {elapsed:.1f} s; stages may nest):")
    for stage, name in _STAGES:
        found = [(n, t) for n, t in cumulative.items() if name in n]
        t = max((t for _, t in found), default=0.0)
        print(f"  {stage:44s} {t:7.2f} s  {100 * t / elapsed:5.1f} %")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="files to import")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="process counts to time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (about 8 GB at 1000)")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="profile the 1-process import")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="readingroom-ingest-bench-"))
    os.environ.update({"VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "readingroom.settings",
                       "LOG_LEVEL": "ERROR", "DATABASE_URL": os.environ.get("DATABASE_URL", "")})  # fmt: skip
    if not os.environ["DATABASE_URL"]:
        del os.environ["DATABASE_URL"]
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from readingroom.studies.ingest import import_job_create, import_job_run
    from readingroom.studies.models import Image

    sources = _sources()
    files = _replicate(sources, args.n, var / "in")
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    rows = [("pydicom read + save (baseline)", 1, _plain(files, var / "plain")),
            ("pydicom read + decode pixels", 1, _decode(files))]  # fmt: skip
    shutil.rmtree(var / "plain")
    for workers in args.workers:
        settings.MEDIA_ROOT = var / f"media-{workers}"
        Image.objects.all().delete()
        from readingroom.studies.models import Patient, Study

        Study.objects.all().delete()
        Patient.objects.all().delete()
        job = import_job_create(sources=[str(var / "in")], enqueue=False)
        profiler = _profiler(args.profile if workers == 1 else 0)
        start = time.perf_counter()
        job = import_job_run(job_id=job.pk, workers=workers)
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
            _profile_report(profiler, args.profile, elapsed)
        if job.imported != args.n:
            sys.exit(f"import job imported {job.imported} of {args.n}: {job.errors[:3]}")
        rows.append(("import job: hash + check + de-id + store + rows", workers, elapsed))
        if workers == args.workers[0]:
            rows.append(("first read of each image (derive pixels + display table)", 1, _first_reads()))
        shutil.rmtree(settings.MEDIA_ROOT)
    rows.append(("pydicom read + save (baseline, again after the imports)", 1, _plain(files, var / "plain")))
    if not args.keep:
        shutil.rmtree(var)

    print(f"{args.n} files ({size_mb:.0f} MB) replicated from {len(sources)} real samples "
          f"({', '.join(p.name for p in sources)}); {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| pipeline | processes | seconds | images/s |")
    print("|---|---:|---:|---:|")
    for name, workers, seconds in rows:
        print(f"| {name} | {workers} | {seconds:.1f} | {args.n / seconds:.1f} |")


if __name__ == "__main__":
    main()

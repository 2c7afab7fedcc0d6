"""DICOM ingest throughput: import jobs (hash, header check, de-identification, the stored DICOM, database
rows) against plain pydicom read and save of the same files, in the same run.

The real samples (the two JPEG-baseline CR radiographs in ../shared/data/cxr_dicom_samples and pydicom-data's
RG1_UNCR.dcm, 1955x1841, uncompressed) are replicated to N files, each copy with its own patient and UIDs so
that nothing is skipped as already imported. Copies are written before timing starts.

    python benchmarks/ingest.py [--n 1000] [--workers 1 2] [--rounds 5] [--profile 25]

``--profile K`` runs the one-process import under cProfile and prints its K costliest functions (own time)
and the split of the import's time over its stages (read, hash, check, de-identify, write, rows).

``--rounds R`` times R rounds of (read + save, then a 1-process import) one after the other, so that both see
the same moment of a shared machine's load; the table gives the medians, and each round's ratio is printed.
An untimed read + save pass comes first (the first pass over the fresh copies runs up to half as fast). The
pixels an import no longer decodes are derived when first read: the run also times that first read of
every image imported by the first round (its pixel file and display table, from the stored DICOM).

Uses a fresh SQLite database in a temporary VAR_DIR (no server needed). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
    ("database rows (batches, or one by one)", "commit_prepared"),
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


def _import(folder: Path, media: Path, *, workers: int, n: int, profile: int) -> float:
    """Seconds of one import job of ``folder`` into an empty database and ``media``."""
    from django.conf import settings

    from readingroom.studies.ingest import import_job_create, import_job_run
    from readingroom.studies.models import Image, Patient, Study

    settings.MEDIA_ROOT = media
    Image.objects.all().delete()
    Study.objects.all().delete()
    Patient.objects.all().delete()
    job = import_job_create(sources=[str(folder)], enqueue=False)
    profiler = _profiler(profile)
    start = time.perf_counter()
    job = import_job_run(job_id=job.pk, workers=workers)
    elapsed = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        _profile_report(profiler, profile, elapsed)
    if job.imported != n:
        sys.exit(f"import job imported {job.imported} of {n}: {job.errors[:3]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="files to import")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="process counts to time")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of read + save then a 1-process import")
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
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    sources = _sources()
    files = _replicate(sources, args.n, var / "in")
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    _plain(files, var / "warm-up")  # untimed: the first pass after writing the copies runs far slower
    shutil.rmtree(var / "warm-up")
    decode = _decode(files)
    baselines, imports, first_reads = [], [], 0.0
    for round_ in range(max(1, args.rounds)):  # interleaved: both see the machine's load of the moment
        baselines.append(_plain(files, var / "plain"))
        shutil.rmtree(var / "plain")
        media = var / "media-1"
        imports.append(
            _import(var / "in", media, workers=1, n=args.n, profile=args.profile if not round_ else 0)
        )
        if not round_:
            first_reads = _first_reads()
        shutil.rmtree(media)
    rows = [("pydicom read + save (baseline)", 1, statistics.median(baselines)),
            ("pydicom read + decode pixels", 1, decode),
            ("import job: hash + check + de-id + store + rows", 1, statistics.median(imports)),
            ("first read of each image (derive pixels + display table)", 1, first_reads)]  # fmt: skip
    for workers in [w for w in args.workers if w != 1]:
        media = var / f"media-{workers}"
        rows.append(("import job: hash + check + de-id + store + rows", workers,
                     _import(var / "in", media, workers=workers, n=args.n, profile=0)))  # fmt: skip
        shutil.rmtree(media)
    if not args.keep:
        shutil.rmtree(var)

    print(f"{args.n} files ({size_mb:.0f} MB) replicated from {len(sources)} real samples "
          f"({', '.join(p.name for p in sources)}); {os.cpu_count()} CPUs; "
          f"{len(baselines)} round(s), medians\n")  # fmt: skip
    print("| pipeline | processes | seconds | images/s |")
    print("|---|---:|---:|---:|")
    for name, workers, seconds in rows:
        print(f"| {name} | {workers} | {seconds:.1f} | {args.n / seconds:.1f} |")
    ratios = [b / i for b, i in zip(baselines, imports, strict=True)]
    print(
        f"\n1-process import / read + save, each round: {', '.join(f'{r:.2f}x' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f}x"
    )


if __name__ == "__main__":
    main()

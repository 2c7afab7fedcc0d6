"""Batch import jobs: files, folders, zip archives and metadata CSVs; parallel, resumable, idempotent.

A job expands its sources into items (one image file each), skips the items it finished before (resume)
and the files whose content is already imported (idempotence), prepares the rest in a process pool
(:func:`.prepare.image_prepare`: read, de-identify, decode, render, write files) and commits each in this
process. Every failure is a per-item error in the job's report; the rest of the batch goes on.

Metadata CSVs: a generic CSV has a ``file`` column (relative to the CSV) and optional ``patient_id``,
``study_id``, ``sex``, ``view_position``, ``modality``, ``indication``, ``history``; the Hannover COVID-19
``data.csv`` layout (``patient_id``, ``image_id``, ``sex``, ``modality``, ``projection``; images in
``png/<image_id>.png``) is recognised by its columns.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from readingroom.core.exceptions import InvalidInput, NotFound, ReadingRoomError
from readingroom.studies.archives import zip_members
from readingroom.studies.layouts import IMPORTED_HOOKS, LAYOUTS, IngestItem
from readingroom.studies.models import Image, ImportJob
from readingroom.studies.prepare import BITMAP_SUFFIXES, image_prepare, read_source
from readingroom.studies.services import image_commit_prepared

GENERIC_COLUMNS = ("file",)
HANNOVER_COLUMNS = ("patient_id", "image_id", "sex", "modality", "projection")
_SAVE_EVERY = 10
log = logging.getLogger(__name__)


def _csv_items(csv_path: Path) -> Iterator[IngestItem]:
    with csv_path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = set(reader.fieldnames or [])
        if set(HANNOVER_COLUMNS) <= columns:
            layout = "hannover"
        elif set(GENERIC_COLUMNS) <= columns:
            layout = "generic"
        else:
            missing = sorted(set(GENERIC_COLUMNS) - columns)
            yield IngestItem(key=str(csv_path), path=None,
                             error=f"{csv_path}: missing column(s) {', '.join(missing)} "
                                   f"(or the Hannover columns {', '.join(HANNOVER_COLUMNS)})")  # fmt: skip
            return
        for line, row in enumerate(reader, start=2):
            if layout == "hannover":
                rel = Path("png") / f"{row['image_id']}.png"
                metadata = {"patient_id": row["patient_id"], "study_id": row["image_id"],
                            "sex": row["sex"], "view_position": row["projection"], "modality": row["modality"]}  # fmt: skip
            else:
                rel = Path(row.get("file") or "")
                metadata = {k: v for k, v in row.items() if k != "file" and v}
            if not str(rel) or str(rel) == "." or rel.is_absolute() or ".." in rel.parts:
                yield IngestItem(key=f"{csv_path}:{line}", path=None,
                                 error=f"{csv_path}:{line}: bad file name {str(rel)!r}")  # fmt: skip
                continue
            yield IngestItem(key=str(csv_path.parent / rel), path=csv_path.parent / rel, metadata=metadata)


def ingest_items(sources: list[str], *, scratch: Path, layout: str = "") -> Iterator[IngestItem]:
    """The items of a job's sources, in order; zip members are extracted under ``scratch``.

    With a ``layout`` (a name in :data:`.layouts.LAYOUTS`), each source is a folder in that layout.
    """
    for name in sources:
        source = Path(name)
        if layout:
            if layout not in LAYOUTS:
                yield IngestItem(key=str(source), path=None, error=f"layout: unknown layout {layout!r}")
            elif not source.is_dir():
                yield IngestItem(
                    key=str(source), path=None, error=f"{source}: not a folder ({layout} layout)"
                )
            else:
                yield from LAYOUTS[layout](source)
            continue
        if source.is_dir():
            files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif source.is_file():
            files = [source]
        else:
            yield IngestItem(key=str(source), path=None, error=f"{source}: no such file or folder")
            continue
        for path in files:
            suffix = path.suffix.lower()
            if suffix == ".csv":
                yield from _csv_items(path)
            elif suffix == ".zip":
                try:
                    for member in zip_members(path, scratch, max_member_bytes=settings.INGEST_MAX_MEMBER_BYTES,
                                              max_ratio=settings.INGEST_MAX_COMPRESSION_RATIO):  # fmt: skip
                        yield IngestItem(key=member.key, path=member.path, error=member.error)
                except (zipfile.BadZipFile, OSError) as exc:
                    yield IngestItem(
                        key=str(path), path=None, error=f"{path}: not a readable zip archive ({exc})"
                    )
            elif source.is_dir() and suffix in {".md", ".txt", ".json"}:
                continue  # documentation beside images in a folder
            else:
                yield IngestItem(key=str(path), path=path)


def import_job_create(
    *,
    sources: list[str],
    options: dict | None = None,
    user=None,
    enqueue: bool = True,
    allowed_roots: list[str] | None = None,
) -> ImportJob:
    """Create an import job for ``sources`` (paths on the server); enqueue it on queue ``io`` on commit.

    With ``allowed_roots`` (the API passes ``INGEST_ALLOWED_ROOTS``), every source must lie inside one of
    those folders (after resolving links and ``..``); :class:`InvalidInput` names the first that does not.
    """
    if not sources:
        raise InvalidInput("sources: give at least one file, folder, zip archive or CSV")
    if allowed_roots is not None:
        roots = [Path(r).resolve() for r in allowed_roots]
        for source in sources:
            resolved = Path(source).resolve()
            if not any(resolved == r or r in resolved.parents for r in roots):
                raise InvalidInput(f"sources: {source} is outside the folders imports may read")
    job = ImportJob.objects.create(sources=[str(s) for s in sources], options=options or {}, created_by=user)
    if enqueue:
        from readingroom.studies.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


class _Recorder:
    def __init__(self, job: ImportJob, progress: Callable[[ImportJob, str, str], None] | None) -> None:
        self.job, self.progress, self.pending = job, progress, 0

    def finish(self, key: str, *, outcome: str, message: str = "") -> None:
        job = self.job
        if outcome == "imported":
            job.imported += 1
        elif outcome == "skipped":
            job.skipped += 1
        else:
            job.failed += 1
            job.errors.append({"item": key, "error": message})
        if outcome != "failed" and message:
            job.warnings.append({"item": key, "warning": message})
        job.processed_keys.append(key)
        self.pending += 1
        if self.pending >= _SAVE_EVERY:
            self.save()
        if self.progress is not None:
            self.progress(job, key, outcome)

    def save(self) -> None:
        self.job.save()
        self.pending = 0


def _commit(recorder: _Recorder, item: IngestItem, prepared, options: dict) -> None:
    try:
        result = image_commit_prepared(prepared=prepared, indication=options.get("indication", ""),
                                       history=options.get("history", ""))  # fmt: skip
    except ReadingRoomError as exc:
        recorder.finish(item.key, outcome="failed", message=str(exc))
        return
    warning = "; ".join(w for w in (result.warning, _run_hooks(item, result.image)) if w)
    recorder.finish(item.key, outcome="imported" if result.created else "skipped", message=warning)


def _run_hooks(item: IngestItem, image: Image) -> str:
    """Run the imported-item hooks (reports, labels); their errors become a warning on the item.

    An image imported before without its data-set id (``dataset_image_id``) gets it here.
    """
    dataset_id = str(item.metadata.get("dataset_image_id") or "")[:128]
    if dataset_id and not image.dataset_image_id:
        Image.objects.filter(pk=image.pk).update(dataset_image_id=dataset_id)
        image.dataset_image_id = dataset_id
    problems = []
    for hook in IMPORTED_HOOKS:
        try:
            hook(item=item, image=image)
        except ReadingRoomError as exc:
            problems.append(str(exc))
    return "; ".join(problems)


def import_job_run(
    *, job_id: int, workers: int | None = None, progress: Callable[[ImportJob, str, str], None] | None = None
) -> ImportJob:
    """Run (or resume) an import job; returns it finished, with counts and per-item errors.

    Parameters
    ----------
    job_id
        The job; :class:`NotFound` where it does not exist.
    workers
        Processes that prepare images (default ``INGEST_WORKERS``); 1 prepares in this process.
    progress
        Called with the job, the item's key and its outcome (imported, skipped, failed) after each item.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"import job {job_id} does not exist")
    workers = max(1, workers or settings.INGEST_WORKERS)
    job.status, job.started_at, job.finished_at = ImportJob.Status.RUNNING, timezone.now(), None
    try:
        return _run(job, workers=workers, progress=progress)
    except Exception as exc:
        # A job never stays "running" after its run ended: the reason is on the job (a rerun resumes it).
        job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
        job.message = f"the import stopped: {type(exc).__name__}: {exc}"
        try:
            job.save()
        except DatabaseError:  # the database itself failed: the reaper finds the job later
            log.exception("import job %s: its failure could not be recorded", job.pk)
        raise


def _run(
    job: ImportJob, *, workers: int, progress: Callable[[ImportJob, str, str], None] | None
) -> ImportJob:
    done = set(job.processed_keys)
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        found = ingest_items(job.sources, scratch=Path(scratch), layout=job.options.get("layout", ""))
        items = [i for i in found if i.key not in done]
        job.total = len(done) + len(items)
        job.save()
        recorder = _Recorder(job, progress)
        todo: list[IngestItem] = []
        for item in items:
            if item.error:
                recorder.finish(item.key, outcome="failed", message=item.error)
                continue
            try:
                _, digest = read_source(item.path)
            except InvalidInput as exc:
                recorder.finish(item.key, outcome="failed", message=str(exc))
                continue
            existing = Image.objects.filter(source_sha256=digest).first()
            if existing is not None:
                recorder.finish(item.key, outcome="skipped", message=_run_hooks(item, existing))
            else:
                todo.append(item)
        _prepare_all(recorder, todo, workers=workers, options=job.options)
    job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
    job.message = f"{job.imported} imported, {job.skipped} already imported, {job.failed} failed"
    recorder.save()
    return job


def _executor(workers: int) -> Executor:
    """Processes that prepare images; threads in a daemonic process, which may not start children.

    A Celery prefork worker's pool processes are daemonic; there, parallelism across jobs comes from the
    worker's own processes, and the decoders release the GIL for much of their work.
    """
    if multiprocessing.current_process().daemon:
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")
    # fork: the children inherit the configured settings and never touch the database
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def _prepare_all(recorder: _Recorder, todo: list[IngestItem], *, workers: int, options: dict) -> None:
    def metadata(item: IngestItem) -> dict | None:
        return item.metadata if item.path.suffix.lower() in BITMAP_SUFFIXES else None

    if workers == 1 or len(todo) < 2:
        for item in todo:
            try:
                prepared = image_prepare(path=item.path, metadata=metadata(item))
            except ReadingRoomError as exc:
                recorder.finish(item.key, outcome="failed", message=str(exc))
                continue
            except Exception as exc:  # e.g. a decoder's own error: that file's error, not the batch's
                recorder.finish(
                    item.key, outcome="failed", message=f"{item.key}: {type(exc).__name__}: {exc}"
                )
                continue
            _commit(recorder, item, prepared, options)
        return
    with _executor(workers) as pool:
        futures = {pool.submit(image_prepare, path=i.path, metadata=metadata(i)): i for i in todo}
        for future in as_completed(futures):
            item = futures[future]
            try:
                prepared = future.result()
            except ReadingRoomError as exc:
                recorder.finish(item.key, outcome="failed", message=str(exc))
                continue
            except Exception as exc:  # a crash in one worker is that file's error, not the batch's
                recorder.finish(
                    item.key, outcome="failed", message=f"{item.key}: {type(exc).__name__}: {exc}"
                )
                continue
            _commit(recorder, item, prepared, options)

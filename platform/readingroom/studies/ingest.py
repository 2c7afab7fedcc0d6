"""Batch import jobs: files, folders, zip archives and metadata CSVs; parallel, resumable, idempotent.

A job expands its sources into items (one image file each), skips the items it finished before (resume)
and the files whose content is already imported (idempotence), prepares the rest in a process pool
(:func:`.prepare.image_prepare`: read, check, de-identify, write files) and commits each in this
process. Every failure is a per-item error in the job's report; the rest of the batch goes on.

Metadata CSVs: a generic CSV has a ``file`` column (relative to the CSV) and optional ``patient_id``,
``study_id``, ``sex``, ``view_position``, ``modality``, ``indication``, ``history``; the Hannover COVID-19
``data.csv`` layout (``patient_id``, ``image_id``, ``sex``, ``modality``, ``projection``; images in
``png/<image_id>.png``) is recognised by its columns.
"""

from __future__ import annotations

import csv
import io
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
from readingroom.studies.prepare import (
    BITMAP_SUFFIXES,
    PreparedImage,
    image_prepare,
    remove_files,
    source_sha256,
)
from readingroom.studies.services import image_commit_prepared, images_commit_prepared

GENERIC_COLUMNS = ("file",)
HANNOVER_COLUMNS = ("patient_id", "image_id", "sex", "modality", "projection")
_SAVE_EVERY = 10
_COMMIT_EVERY = 25  # prepared images whose rows are written in one transaction
_LOOKUP_CHUNK = 500  # content hashes looked up in one query (SQLite allows 32,766 parameters)
log = logging.getLogger(__name__)


def _csv_text(csv_path: Path) -> str:
    """The CSV's text; :class:`InvalidInput` naming the file where it is not UTF-8 or holds a NUL."""
    raw = csv_path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{csv_path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from exc
    if "\0" in text:
        raise InvalidInput(f"{csv_path}: holds a NUL character; not a text CSV")
    return text


def _csv_items(csv_path: Path) -> Iterator[IngestItem]:
    try:
        text = _csv_text(csv_path)
    except InvalidInput as exc:
        yield IngestItem(key=str(csv_path), path=None, error=str(exc))
        return
    try:
        yield from _csv_rows(csv_path, text)
    except csv.Error as exc:
        yield IngestItem(key=str(csv_path), path=None, error=f"{csv_path}: malformed CSV ({exc})")


def _csv_rows(csv_path: Path, text: str) -> Iterator[IngestItem]:
    with io.StringIO(text, newline="") as fh:
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


def _inside(path: Path, roots: list[Path]) -> bool:
    """Whether ``path``, with every link and ``..`` resolved, lies in one of ``roots`` (resolved)."""
    resolved = path.resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def ingest_items(
    sources: list[str], *, scratch: Path, layout: str = "", allowed_roots: list[str] | None = None
) -> Iterator[IngestItem]:
    """The items of a job's sources, in order; zip members are extracted under ``scratch``.

    With a ``layout`` (a name in :data:`.layouts.LAYOUTS`), each source is a folder in that layout. With
    ``allowed_roots``, every file found (in a folder, a CSV or a layout) must really lie in one of those
    folders once links are resolved: a symbolic link pointing outside is that file's error.
    """
    if allowed_roots is None:
        yield from _source_items(sources, scratch=scratch, layout=layout, roots=None)
        return
    roots = [Path(r).resolve() for r in allowed_roots]
    for item in _source_items(sources, scratch=scratch, layout=layout, roots=roots):
        if item.path is not None and not _inside(item.path, [*roots, scratch.resolve()]):
            item = IngestItem(key=item.key, path=None, error=_outside(item.key))
        yield item


def _outside(key: str) -> str:
    return f"{key}: refused: it leads outside the folders imports may read (a symbolic link?)"


def _source_items(
    sources: list[str], *, scratch: Path, layout: str, roots: list[Path] | None
) -> Iterator[IngestItem]:
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
                try:
                    yield from LAYOUTS[layout](source)
                except (UnicodeDecodeError, csv.Error) as exc:
                    yield IngestItem(key=str(source), path=None,
                                     error=f"{source}: unreadable {layout} metadata (not UTF-8 CSV: {exc})")  # fmt: skip
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
            if roots is not None and not _inside(path, roots):
                yield IngestItem(key=str(path), path=None, error=_outside(str(path)))
                continue
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
    options = dict(options or {})
    if allowed_roots is not None:
        roots = [Path(r).resolve() for r in allowed_roots]
        for source in sources:
            if not _inside(Path(source), roots):
                raise InvalidInput(f"sources: {source} is outside the folders imports may read")
        # kept with the job: files found while walking a source are checked against them too
        options["allowed_roots"] = [str(r) for r in roots]
    job = ImportJob.objects.create(sources=[str(s) for s in sources], options=options, created_by=user)
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
                                       history=options.get("history", ""), looked_up=True)  # fmt: skip
    except ReadingRoomError as exc:
        recorder.finish(item.key, outcome="failed", message=str(exc))
        return
    warning = "; ".join(w for w in (result.warning, _run_hooks(item, result.image)) if w)
    recorder.finish(item.key, outcome="imported" if result.created else "skipped", message=warning)


class _Committer:
    """Commits prepared images in batches (one transaction each, rows inserted in bulk); a batch that cannot
    go in as one is committed image by image (:func:`_commit`: duplicates, UID conflicts, per-item errors).

    Where committing a batch raises (the database failing), its images' files are removed and the error
    raised; :meth:`discard` removes those of images prepared but not yet committed when the job stops.
    """

    def __init__(self, recorder: _Recorder, options: dict) -> None:
        self.recorder, self.options = recorder, options
        self.pending: list[tuple[IngestItem, PreparedImage]] = []

    def add(self, item: IngestItem, prepared: PreparedImage) -> None:
        self.pending.append((item, prepared))
        if len(self.pending) >= _COMMIT_EVERY:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            results = images_commit_prepared(prepared=[p for _, p in pending],
                                             indication=self.options.get("indication", ""),
                                             history=self.options.get("history", ""))  # fmt: skip
        except Exception:
            for _, prepared in pending:
                remove_files(prepared.files)
            raise
        if results is None:
            for item, prepared in pending:
                _commit(self.recorder, item, prepared, self.options)
            return
        for (item, _), result in zip(pending, results, strict=True):
            self.recorder.finish(item.key, outcome="imported", message=_run_hooks(item, result.image))

    def discard(self) -> None:
        for _, prepared in self.pending:
            remove_files(prepared.files)
        self.pending = []


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
    """Run (or resume) an import job (see :func:`_import_job_run`).

    Whatever stops it, the job ends: an unexpected error marks it ``failed`` with the error as its message
    (a rerun resumes it), then propagates.
    """
    try:
        return _import_job_run(job_id=job_id, workers=workers, progress=progress)
    except Exception as exc:
        message = f"stopped by an unexpected error: {type(exc).__name__}: {exc}"[:2000]
        try:
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED, finished_at=timezone.now(), message=message
            )
        except DatabaseError:  # the database itself failed: the reaper finds the job later
            log.exception("import job %s: its failure could not be recorded", job_id)
        raise


def _import_job_run(
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
    done = set(job.processed_keys)
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        found = ingest_items(job.sources, scratch=Path(scratch), layout=job.options.get("layout", ""),
                             allowed_roots=job.options.get("allowed_roots"))  # fmt: skip
        items = [i for i in found if i.key not in done]
        job.total = len(done) + len(items)
        job.save()
        recorder = _Recorder(job, progress)
        hashed: list[tuple[IngestItem, str]] = []  # with the SHA-256 computed here (hashed once)
        for item in items:
            if item.error:
                recorder.finish(item.key, outcome="failed", message=item.error)
                continue
            try:
                digest = source_sha256(item.path)
            except InvalidInput as exc:
                recorder.finish(item.key, outcome="failed", message=str(exc))
                continue
            hashed.append((item, digest))
        todo: list[tuple[IngestItem, str]] = []
        for item, digest, existing in _with_existing(hashed):
            if existing is not None:
                recorder.finish(item.key, outcome="skipped", message=_run_hooks(item, existing))
            else:
                todo.append((item, digest))
        _prepare_all(recorder, todo, workers=workers, options=job.options)
    job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
    job.message = f"{job.imported} imported, {job.skipped} already imported, {job.failed} failed"
    recorder.save()
    return job


def _with_existing(
    hashed: list[tuple[IngestItem, str]],
) -> Iterator[tuple[IngestItem, str, Image | None]]:
    """Each item with its digest and the image already imported with that content (one query a chunk)."""
    for start in range(0, len(hashed), _LOOKUP_CHUNK):
        chunk = hashed[start : start + _LOOKUP_CHUNK]
        found = {i.source_sha256: i for i in Image.objects.filter(source_sha256__in={d for _, d in chunk})}
        for item, digest in chunk:
            yield item, digest, found.get(digest)


def _executor(workers: int) -> Executor:
    """Processes that prepare images; threads in a daemonic process, which may not start children.

    A Celery prefork worker's pool processes are daemonic; there, parallelism across jobs comes from the
    worker's own processes, and the decoders release the GIL for much of their work.
    """
    if multiprocessing.current_process().daemon:
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")
    # fork: the children inherit the configured settings and never touch the database
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def _prepare_all(
    recorder: _Recorder, todo: list[tuple[IngestItem, str]], *, workers: int, options: dict
) -> None:
    committer = _Committer(recorder, options)
    try:
        _prepare_each(recorder, committer, todo, workers=workers)
        committer.flush()
    except BaseException:
        committer.discard()
        raise


def _prepare_each(
    recorder: _Recorder, committer: _Committer, todo: list[tuple[IngestItem, str]], *, workers: int
) -> None:
    def metadata(item: IngestItem) -> dict | None:
        return item.metadata if item.path.suffix.lower() in BITMAP_SUFFIXES else None

    if workers == 1 or len(todo) < 2:
        for item, digest in todo:
            try:
                prepared = image_prepare(path=item.path, metadata=metadata(item), digest=digest)
            except ReadingRoomError as exc:
                recorder.finish(item.key, outcome="failed", message=str(exc))
                continue
            except Exception as exc:  # e.g. a decoder's own error: that file's error, not the batch's
                recorder.finish(
                    item.key, outcome="failed", message=f"{item.key}: {type(exc).__name__}: {exc}"
                )
                continue
            committer.add(item, prepared)
        return
    with _executor(workers) as pool:
        futures = {
            pool.submit(image_prepare, path=i.path, metadata=metadata(i), digest=d): i for i, d in todo
        }
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
            committer.add(item, prepared)

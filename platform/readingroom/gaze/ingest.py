"""Group commit of gaze batches: one transaction for all batches that arrive while the last one commits.

Each WebSocket consumer parses its batch in the event loop and awaits :meth:`ChunkWriter.store`; one writer
per event loop collects the waiting batches of every connection, stores them with one multi-row INSERT in
one transaction (a single commit, so a single WAL flush on PostgreSQL), and only then resolves each
consumer's future, which sends the acknowledgement. Under light load a batch is written alone at once;
under heavy load the cost of the commit is shared by all the batches that queued behind it.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import transaction

from readingroom.core.exceptions import Conflict
from readingroom.gaze.batches import GazeBatch
from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ReadingSession

MAX_BATCHES_PER_COMMIT = 500


@dataclass
class _Pending:
    session_id: int
    batch: GazeBatch
    done: asyncio.Future


def chunks_store(items: list[tuple[int, GazeBatch]]) -> list[Exception | None]:
    """Store many batches in one transaction; returns, per item, None or the error that refused it.

    Batches of sessions that are no longer open are refused with :class:`Conflict`; a batch already
    stored (same session, stream and seq) is skipped silently, so a resend is acknowledged without a second copy.
    """
    session_ids = {session_id for session_id, _ in items}
    with transaction.atomic():
        open_ids = set(
            ReadingSession.objects.filter(pk__in=session_ids, status=ReadingSession.Status.OPEN).values_list(
                "pk", flat=True
            )
        )
        rows, results = [], []
        for session_id, batch in items:
            if session_id not in open_ids:
                results.append(Conflict(f"reading session {session_id} is closed; no more gaze is accepted"))
                continue
            t = batch.data[0]
            rows.append(
                GazeChunk(
                    session_id=session_id,
                    stream=batch.stream,
                    seq=batch.seq,
                    device=batch.device,
                    n_samples=batch.n_samples,
                    t_first_ms=float(t[0]),
                    t_last_ms=float(t[-1]),
                    data=batch.data.astype("<f8").tobytes(),
                )
            )
            results.append(None)
        GazeChunk.objects.bulk_create(rows, ignore_conflicts=True)
    return results


class ChunkWriter:
    """The group-commit writer of one event loop (see the module docstring)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    async def store(self, *, session_id: int, batch: GazeBatch) -> None:
        """Store one batch; returns once it is committed, raises the error that refused it."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        done = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(session_id, batch, done))
        await done

    async def _run(self) -> None:
        while True:
            pending = [await self._queue.get()]
            while not self._queue.empty() and len(pending) < MAX_BATCHES_PER_COMMIT:
                pending.append(self._queue.get_nowait())
            try:
                results = await database_sync_to_async(chunks_store)(
                    [(p.session_id, p.batch) for p in pending]
                )
            except Exception as exc:  # the whole transaction failed: every waiter learns why
                results = [exc] * len(pending)
            for item, error in zip(pending, results, strict=True):
                if item.done.done():
                    continue
                if error is None:
                    item.done.set_result(None)
                else:
                    item.done.set_exception(error)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChunkWriter] = weakref.WeakKeyDictionary()


def chunk_writer() -> ChunkWriter:
    """The writer of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = ChunkWriter()
    return writer

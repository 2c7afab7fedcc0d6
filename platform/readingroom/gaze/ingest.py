"""Group commit of gaze batches: one transaction for all batches that arrive while the last one commits.

Each WebSocket consumer parses its batch in the event loop and awaits :meth:`ChunkWriter.store`; one writer
per event loop collects the waiting batches of every connection, stores them with one multi-row INSERT in
one transaction (a single commit, so a single WAL flush on PostgreSQL), and only then resolves each
consumer's future, which sends the acknowledgement. Under light load a batch is written alone at once;
under heavy load the cost of the commit is shared by all the batches that queued behind it. A commit takes
at most :data:`MAX_BATCHES_PER_COMMIT` batches and :data:`MAX_SAMPLES_PER_COMMIT` samples, so that a few
large batches cannot make everyone's commit slow.

The commits run in a thread of their own (:data:`_COMMIT_THREAD`), not in the thread that Channels shares
between every other database call of the process: a burst of sockets connecting (each authorised through
the database) or a slow view then no longer delays the acknowledgements of the sockets already streaming.

Batches are validated before they are queued (``gaze.batches``), so the shared commit should never fail on a
value; if the database still refuses the group, each batch is stored again in its own transaction and only
the one it refuses gets the error. An unreachable database (``OperationalError``, ``InterfaceError``) fails
every waiter with that error: nothing was stored, and the consumers ask their senders to resend.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import DatabaseError, InterfaceError, OperationalError, transaction

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.gaze.batches import GazeBatch
from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ReadingSession

MAX_BATCHES_PER_COMMIT = 500
MAX_SAMPLES_PER_COMMIT = 20_000  # 20 readers x 1000 Hz x 50 ms batches is 1,000
# One commit at a time per event loop, so one thread is enough; it holds one database connection while it
# commits (returned to the pool after each group, as every database_sync_to_async call does).
_COMMIT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gaze-commit")


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


def chunks_store_isolated(items: list[tuple[int, GazeBatch]]) -> list[Exception | None]:
    """:func:`chunks_store`, retrying batch by batch when the database refuses the group.

    A batch the database refuses on its own gets :class:`InvalidInput`; connection failures propagate.
    """
    try:
        return chunks_store(items)
    except (OperationalError, InterfaceError):
        raise
    except (DatabaseError, ValueError, OverflowError) as exc:  # a value the database cannot hold
        if len(items) == 1:
            seq = items[0][1].seq
            return [InvalidInput(f"batch seq {seq} could not be stored: {type(exc).__name__}: {exc}")]
        return [chunks_store_isolated([item])[0] for item in items]


class ChunkWriter:
    """The group-commit writer of one event loop (see the module docstring)."""

    def __init__(self) -> None:
        self._queue: deque[_Pending] = deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def store(self, *, session_id: int, batch: GazeBatch) -> None:
        """Store one batch; returns once it is committed, raises the error that refused it."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        done = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(session_id, batch, done))
        self._ready.set()
        await done

    def _next_group(self) -> list[_Pending]:
        """The oldest waiting batches, up to the commit's limits (at least one)."""
        pending = [self._queue.popleft()]
        n_samples = pending[0].batch.n_samples
        while self._queue and len(pending) < MAX_BATCHES_PER_COMMIT:
            n_samples += self._queue[0].batch.n_samples
            if n_samples > MAX_SAMPLES_PER_COMMIT:
                break  # the rest waits for the next commit, in order
            pending.append(self._queue.popleft())
        return pending

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._ready.clear()
                await self._ready.wait()
                continue
            pending = self._next_group()
            try:
                results = await database_sync_to_async(
                    chunks_store_isolated, thread_sensitive=False, executor=_COMMIT_THREAD
                )([(p.session_id, p.batch) for p in pending])
            except Exception as exc:  # the database is unreachable: every waiter learns why
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

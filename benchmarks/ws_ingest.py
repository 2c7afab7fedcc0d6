"""WebSocket gaze ingest through the real stack: PostgreSQL + Redis + one daphne process.

Simulated readers each stream 1000 Hz gaze in batches (real-time paced) over their own WebSocket; the
script measures samples stored per second, loss (samples sent vs rows stored), and the time from sending a
batch to receiving its acknowledgement. The load generator runs on the same machine as the server.

    python benchmarks/ws_ingest.py [--readers 1 5 20] [--seconds 10] [--batch-ms 50]

Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: a database ``readingroom_bench`` on
127.0.0.1:5432 as user postgres, Redis db 2 on 127.0.0.1:6379). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _prepare_environment(args) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": args.redis_url,
        "VAR_DIR": tempfile.mkdtemp(prefix="readingroom-bench-"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "readingroom.settings",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    return env


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_sessions(n: int) -> list[tuple[int, str]]:
    """Migrate, and create ``n`` readers each with an open session; returns (session id, token) pairs."""
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from readingroom.core.services import user_create
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign, session_start
    from readingroom.studies.models import Image, Patient, Study

    patient = Patient.objects.create(key="bench")
    study = Study.objects.create(patient=patient, study_uid="1.2.3.bench")
    Image.objects.create(study=study, sop_uid="1.2.3.bench.1", source_sha256="0" * 64, rows=2000, columns=2000,
                         bits_stored=12, photometric_interpretation="MONOCHROME2", window_center=2048,
                         window_width=4096, pixels_file="-", display_file="-", thumbnail_file="-")  # fmt: skip
    project = ReadingProject.objects.create(name="bench")
    sessions = []
    for i in range(n):
        reader = user_create(username=f"bench{i}", password="bench-password", roles=["reader"])
        assignment = project_assign(project=project, reader=reader, studies=[study])[0]
        session = session_start(assignment_id=assignment.pk, reader=reader)
        sessions.append((session.pk, session.capture_token))
    return sessions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _reader(url: str, seconds: float, batch_ms: float, rate_hz: float, latencies: list[float]) -> int:
    import websockets

    per_batch = int(rate_hz * batch_ms / 1000)
    n_batches = int(seconds * 1000 / batch_ms)
    sent_at: dict[int, float] = {}
    acked = 0

    async with websockets.connect(
        url, additional_headers={"Origin": "http://127.0.0.1"}, max_queue=None
    ) as ws:

        async def receive():
            nonlocal acked
            while acked < n_batches:
                reply = json.loads(await ws.recv())
                if reply.get("type") != "ack":
                    raise RuntimeError(f"server answered {reply}")
                latencies.append((time.perf_counter() - sent_at[reply["seq"]]) * 1000.0)
                acked += 1

        receiver = asyncio.create_task(receive())
        start = time.perf_counter()
        for seq in range(n_batches):
            target = start + seq * batch_ms / 1000.0
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            t0 = seq * batch_ms
            t = [t0 + k * 1000.0 / rate_hz for k in range(per_batch)]
            message = {"type": "gaze_batch", "seq": seq, "device": "bench",
                       "samples": {"t": t, "x": [960.5] * per_batch, "y": [540.25] * per_batch}}  # fmt: skip
            sent_at[seq] = time.perf_counter()
            await ws.send(json.dumps(message))
        await asyncio.wait_for(receiver, timeout=120)
    return n_batches * per_batch


async def _run_level(base: str, sessions, seconds: float, batch_ms: float, rate_hz: float):
    latencies: list[float] = []
    start = time.perf_counter()
    sent = await asyncio.gather(
        *[
            _reader(f"{base}/ws/gaze/{sid}/?token={token}", seconds, batch_ms, rate_hz, latencies)
            for sid, token in sessions
        ]  # fmt: skip
    )
    elapsed = time.perf_counter() - start
    return sum(sent), elapsed, latencies


def _stored_samples(session_ids) -> int:
    from django.db.models import Sum

    from readingroom.gaze.models import GazeChunk

    return GazeChunk.objects.filter(session_id__in=session_ids).aggregate(n=Sum("n_samples"))["n"] or 0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument("--rate-hz", type=float, default=1000.0)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readingroom_bench"))  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = parser.parse_args()

    env = _prepare_environment(args)
    _create_database(args.database_url)
    all_sessions = _setup_sessions(sum(args.readers))
    port = _free_port()
    log = open(Path(env["VAR_DIR"]) / "daphne.log", "w")  # noqa: SIM115
    server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                               "readingroom.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log)  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        rows = []
        offset = 0
        for n in args.readers:
            sessions = all_sessions[offset : offset + n]
            offset += n
            sent, elapsed, latencies = asyncio.run(
                _run_level(f"ws://127.0.0.1:{port}", sessions, args.seconds, args.batch_ms, args.rate_hz)
            )
            stored = _stored_samples([sid for sid, _ in sessions])
            rows.append((n, n * args.rate_hz, sent, stored, sent - stored, stored / elapsed,
                         _percentile(latencies, 50), _percentile(latencies, 99), max(latencies)))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()

    print(f"WebSocket gaze ingest, one daphne process, PostgreSQL + Redis; {args.rate_hz:.0f} Hz per reader, "
          f"{args.batch_ms:.0f} ms batches, {args.seconds:.0f} s per level; load generator on the same machine")  # fmt: skip
    print()
    print(
        "| readers | offered samples/s | sent | stored | lost | stored samples/s | ack p50 ms | ack p99 ms | ack max ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, offered, sent, stored, lost, rate, p50, p99, worst in rows:
        print(
            f"| {n} | {offered:,.0f} | {sent:,} | {stored:,} | {lost} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | {worst:.1f} |"
        )


if __name__ == "__main__":
    main()

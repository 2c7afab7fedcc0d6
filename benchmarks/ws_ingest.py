"""WebSocket gaze ingest through the real stack: PostgreSQL + Redis + one daphne process.

Simulated readers each stream 1000 Hz gaze in batches (real-time paced) over their own WebSocket; the
script measures samples stored per second, loss (samples sent vs rows stored), and the time from sending a
batch to receiving its acknowledgement. The load generator runs on the same machine as the server. Each
level is run ``--runs`` times in each frame format (JSON text frames as the browser sends them, MessagePack
binary frames with float64 byte arrays as the bridge sends them with ``--binary``), interleaved, so that
both formats see the same machine load.

    python benchmarks/ws_ingest.py [--readers 20 40] [--runs 5] [--formats json msgpack] [--seconds 10]
    python benchmarks/ws_ingest.py --flood 8 [--runs 5]   # one reader beside 8 sockets flooding big messages

``--flood N`` measures starvation instead: one JSON reader at 1000 Hz alone, then beside N sockets (each its
own session) that send the largest batch allowed (5000 samples) back to back without waiting for acks; the
table compares the reader's acknowledgement times in the same run.

Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: a database ``readingroom_bench`` on
127.0.0.1:5432 as user postgres, Redis db 2 on 127.0.0.1:6379). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import statistics
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


def _batch_frame(fmt: str, stream: str, seq: int, t0: float, per_batch: int, rate_hz: float) -> str | bytes:
    import msgpack
    import numpy as np

    t = t0 + np.arange(per_batch) * (1000.0 / rate_hz)
    if fmt == "msgpack":
        samples = {"t": t.astype("<f8").tobytes(), "x": np.full(per_batch, 960.5).tobytes(),
                   "y": np.full(per_batch, 540.25).tobytes()}  # fmt: skip
        return msgpack.packb({"type": "gaze_batch", "stream": stream, "seq": seq, "device": "bench",
                              "samples": samples})  # fmt: skip
    return json.dumps({"type": "gaze_batch", "stream": stream, "seq": seq, "device": "bench",
                       "samples": {"t": t.tolist(), "x": [960.5] * per_batch, "y": [540.25] * per_batch}})  # fmt: skip


async def _reader(url: str, fmt: str, stream: str, seconds: float, batch_ms: float, rate_hz: float,
                  latencies: list[float]) -> int:  # fmt: skip
    import msgpack
    import websockets

    per_batch = int(rate_hz * batch_ms / 1000)
    n_batches = int(seconds * 1000 / batch_ms)
    sent_at: dict[int, float] = {}
    acked = 0

    async with websockets.connect(url, max_queue=None) as ws:  # a bridge-like client: token, no Origin

        async def receive():
            nonlocal acked
            while acked < n_batches:
                raw = await ws.recv()
                reply = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
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
            frame = _batch_frame(fmt, stream, seq, seq * batch_ms, per_batch, rate_hz)
            sent_at[seq] = time.perf_counter()
            await ws.send(frame)
        await asyncio.wait_for(receiver, timeout=120)
    return n_batches * per_batch


async def _run_level(base: str, sessions, fmt: str, stream: str, seconds: float, batch_ms: float,
                     rate_hz: float):  # fmt: skip
    latencies: list[float] = []
    # The load generator's own gen-2 collections would pause every simulated reader at once and count as
    # server latency; freeze what exists before the level (a real bridge is one small process per tracker).
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    sent = await asyncio.gather(
        *[
            _reader(
                f"{base}/ws/gaze/{sid}/?token={token}", fmt, stream, seconds, batch_ms, rate_hz, latencies
            )
            for sid, token in sessions
        ]  # fmt: skip
    )
    elapsed = time.perf_counter() - start
    return sum(sent), elapsed, latencies


async def _flooder(
    url: str, stream: str, stop: asyncio.Event, counts: dict[str, int], n_samples: int
) -> None:
    import websockets

    template = json.loads(_batch_frame("json", stream, 0, 0.0, n_samples, 1000.0))
    head, tail = json.dumps({**template, "seq": -1}).split("-1", 1)  # the seq is spliced in per message
    async with websockets.connect(url, max_queue=None, max_size=None) as ws:

        async def drain():
            async for raw in ws:
                kind = json.loads(raw).get("type")
                counts["acks" if kind == "ack" else "refused"] += 1

        receiver = asyncio.create_task(drain())
        seq = 0
        while not stop.is_set():
            await ws.send(f"{head}{seq}{tail}")
            counts["sent"] += 1
            seq += 1
            await asyncio.sleep(0)  # let the reader's coroutines run in this client process too
        receiver.cancel()


async def _flood_all(urls: list[str], stream: str, seconds: float, n_samples: int) -> dict[str, int]:
    counts = {"sent": 0, "acks": 0, "refused": 0}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_flooder(url, stream, stop, counts, n_samples)) for url in urls]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return counts


def _flood_process(urls: list[str], stream: str, seconds: float, n_samples: int, results) -> None:
    results.put(asyncio.run(_flood_all(urls, stream, seconds, n_samples)))


def _flood_level(base: str, reader, flooders, stream: str, seconds: float, n_samples: int):
    """The reader in this process, the flooders in another (so that they do not slow the reader's client)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    urls = [f"{base}/ws/gaze/{sid}/?token={token}" for sid, token in flooders]
    process = context.Process(
        target=_flood_process, args=(urls, f"{stream}-f", seconds + 1.0, n_samples, results)
    )
    if flooders:
        process.start()
        time.sleep(1.0)  # the flood is under way before the reader starts
    latencies: list[float] = []
    sid, token = reader
    url = f"{base}/ws/gaze/{sid}/?token={token}"
    asyncio.run(_reader(url, "json", stream, seconds, 50.0, 1000.0, latencies))
    counts = {"sent": 0, "acks": 0, "refused": 0}
    if flooders:
        counts = results.get(timeout=300)
        process.join(timeout=60)
    return latencies, counts


def _flood_main(args, base: str, sessions) -> None:
    rows = []
    for run in range(1, args.runs + 1):
        for n in (0, args.flood):
            latencies, counts = _flood_level(
                base, sessions[0], sessions[1 : 1 + n], f"flood-{run}-{n}", args.seconds, args.flood_samples
            )
            rows.append(
                (run, n, _percentile(latencies, 50), _percentile(latencies, 99), max(latencies), counts)
            )
    size = len(_batch_frame("json", "flood-1-8-f", 0, 0.0, args.flood_samples, 1000.0)) / 1000
    print(f"One reader (1000 Hz, JSON, 50 ms batches, {args.seconds:.0f} s) beside sockets flooding "
          f"{args.flood_samples}-sample batches ({size:.0f} kB each) without waiting for acks; one daphne "
          "process, PostgreSQL")  # fmt: skip
    print()
    print(
        "| run | flooding sockets | reader ack p50 ms | p99 ms | max ms | flood messages sent | acked | refused |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run, n, p50, p99, worst, c in rows:
        print(
            f"| {run} | {n} | {p50:.1f} | {p99:.1f} | {worst:.1f} | {c['sent']} | {c['acks']} | {c['refused']} |"
        )


def _stored_samples(session_ids, stream: str) -> int:
    from django.db.models import Sum

    from readingroom.gaze.models import GazeChunk

    chunks = GazeChunk.objects.filter(session_id__in=session_ids, stream=stream)
    return chunks.aggregate(n=Sum("n_samples"))["n"] or 0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", nargs="+", choices=["json", "msgpack"], default=["json", "msgpack"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument("--rate-hz", type=float, default=1000.0)
    parser.add_argument("--flood", type=int, default=0, help="run the starvation scenario with this many")
    parser.add_argument("--flood-samples", type=int, default=5000, help="samples per flooding message")
    parser.add_argument(
        "--server-root", type=Path, default=ROOT, help="checkout whose server code daphne runs"
    )
    parser.add_argument("--peer-root", type=Path, default=None,
                        help="another checkout (e.g. an older commit) run beside it as a peer, JSON frames")  # fmt: skip
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readingroom_bench"))  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = parser.parse_args()

    env = _prepare_environment(args)
    _create_database(args.database_url)
    sessions = _setup_sessions(max(args.readers) + args.flood)
    servers = {"": _start_server(args.server_root, env)}
    if args.peer_root is not None:  # the same levels against another checkout's server, interleaved
        servers[" (peer)"] = _start_server(args.peer_root, env)
    rows = []
    try:
        for port, _, _ in servers.values():
            for _ in range(100):
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
        if args.flood:
            _flood_main(args, f"ws://127.0.0.1:{servers[''][0]}", sessions)
            return
        for run in range(1, args.runs + 1):
            for n in args.readers:
                for label, (port, _, _) in servers.items():
                    for fmt in ["json"] if label else args.formats:  # interleaved: all see the same load
                        stream = f"bench-{run}-{n}-{fmt}{label.strip(' ()')}"
                        sent, elapsed, latencies = asyncio.run(_run_level(
                            f"ws://127.0.0.1:{port}", sessions[:n], fmt, stream, args.seconds, args.batch_ms,
                            args.rate_hz))  # fmt: skip
                        stored = _stored_samples([sid for sid, _ in sessions[:n]], stream)
                        rows.append((run, n, fmt + label, sent, stored, sent - stored, stored / elapsed,
                                     _percentile(latencies, 50), _percentile(latencies, 99), max(latencies)))  # fmt: skip
                        print(f"run {run}, {n} readers, {fmt}{label}: p99 {rows[-1][8]:.1f} ms, lost {sent - stored}",
                              file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for _, server, log in servers.values():
            server.terminate()
            server.wait(timeout=20)
            log.close()
    _print_tables(args, rows)


def _start_server(root: Path, env: dict[str, str]):
    """daphne running ``root``'s code on a free port: (port, process, log file)."""
    port = _free_port()
    log = open(Path(env["VAR_DIR"]) / f"daphne-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                               "--websocket-max-message-size", "524288", "--websocket-max-frame-size", "524288",
                               "readingroom.asgi:application"], cwd=root, stdout=log, stderr=log,
                              env={**env, "PYTHONPATH": os.pathsep.join([str(root / "platform"), str(root)])})  # fmt: skip
    return port, server, log


def _print_tables(args, rows) -> None:
    print(f"WebSocket gaze ingest, one daphne process, PostgreSQL + Redis; {args.rate_hz:.0f} Hz per reader, "
          f"{args.batch_ms:.0f} ms batches, {args.seconds:.0f} s per level; load generator on the same machine")  # fmt: skip
    print()
    print(
        "| run | readers | frames | sent | stored | lost | stored samples/s | ack p50 ms | ack p99 ms | ack max ms |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for run, n, fmt, sent, stored, lost, rate, p50, p99, worst in rows:
        print(f"| {run} | {n} | {fmt} | {sent:,} | {stored:,} | {lost} | {rate:,.0f} | {p50:.1f} | {p99:.1f} "
              f"| {worst:.1f} |")  # fmt: skip
    print()
    print(
        "| readers | frames | runs | lost (all runs) | p99 median ms | p99 worst ms | runs with p99 < 100 ms |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in args.readers:
        for fmt in dict.fromkeys(r[2] for r in rows):
            mine = [r for r in rows if r[1] == n and r[2] == fmt]
            p99s = [r[8] for r in mine]
            print(f"| {n} | {fmt} | {len(mine)} | {sum(r[5] for r in mine)} | {statistics.median(p99s):.1f} "
                  f"| {max(p99s):.1f} | {sum(p < 100.0 for p in p99s)} of {len(mine)} |")  # fmt: skip


if __name__ == "__main__":
    main()

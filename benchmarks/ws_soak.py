"""Gaze ingest soak test: N simulated readers at 1000 Hz for minutes, against PostgreSQL and Redis.

Every reader streams real-time paced JSON batches over its own WebSocket (as ``ws_ingest.py`` does, a
bridge-like client with its session's token) into one daphne process for the whole duration. Every
``--sample-s`` seconds the script records the server's resident memory (``VmRSS`` of the daphne process)
and the number of connections to the database (``pg_stat_activity``), so that a leak shows as a slope. At
the end: samples sent and stored (loss must be zero), acknowledgement time percentiles over the whole run
and per minute, and the memory and connection series.

    python benchmarks/ws_soak.py --readers 20 --minutes 10          # the full soak
    python benchmarks/ws_soak.py --readers 20 --minutes 2           # a short run

Needs PostgreSQL and Redis (``--database-url`` is dropped and created anew; ``--redis-url``). Prints markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ws_ingest import (  # noqa: E402
    ROOT,
    _create_database,
    _percentile,
    _prepare_environment,
    _reader,
    _setup_sessions,
    _start_server,
    _stored_samples,
)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _connections(url: str) -> int:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()
    return int(row[0])


def _sampler(pid: int, url: str, every_s: float, stop: threading.Event, out: list) -> None:
    start = time.perf_counter()
    while not stop.is_set():
        out.append((time.perf_counter() - start, _rss_mb(pid), _connections(url)))
        stop.wait(every_s)


async def _soak(base: str, sessions, stream: str, seconds: float, batch_ms: float, rate_hz: float):
    timed: list[tuple[float, float]] = []  # (seconds since start at the ack, ack time ms)
    start = time.perf_counter()

    class _Latencies(list):
        def append(self, value: float) -> None:
            timed.append((time.perf_counter() - start, value))

    sent = await asyncio.gather(*[
        _reader(f"{base}/ws/gaze/{sid}/?token={token}", "json", stream, seconds, batch_ms, rate_hz, _Latencies())
        for sid, token in sessions
    ])  # fmt: skip
    return sum(sent), time.perf_counter() - start, timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument("--rate-hz", type=float, default=1000.0)
    parser.add_argument("--sample-s", type=float, default=10.0, help="memory and connections every so often")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readingroom_bench"))  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = parser.parse_args()

    env = _prepare_environment(args)
    _create_database(args.database_url)
    sessions = _setup_sessions(args.readers)
    from django.db import connections

    connections.close_all()  # the script's own connection is not the server's
    port, server, log = _start_server(ROOT, env)
    samples: list[tuple[float, float, int]] = []
    stop = threading.Event()
    try:
        import socket

        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        sampler = threading.Thread(target=_sampler, args=(server.pid, args.database_url, args.sample_s, stop,
                                                          samples), daemon=True)  # fmt: skip
        sampler.start()
        sent, elapsed, timed = asyncio.run(_soak(f"ws://127.0.0.1:{port}", sessions, "soak", args.minutes * 60.0,
                                                 args.batch_ms, args.rate_hz))  # fmt: skip
        stop.set()
        sampler.join(timeout=30)
        samples.append((elapsed, _rss_mb(server.pid), _connections(args.database_url)))
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=20)
        log.close()
    stored = _stored_samples([sid for sid, _ in sessions], "soak")
    connections.close_all()
    _report(args, sent, stored, elapsed, timed, samples)


def _report(args, sent: int, stored: int, elapsed: float, timed, samples) -> None:
    latencies = [ms for _, ms in timed]
    print(f"Gaze soak: {args.readers} readers x {args.rate_hz:.0f} Hz, {args.batch_ms:.0f} ms JSON batches, "
          f"{elapsed:.0f} s; one daphne process, PostgreSQL + Redis; load generator on the same machine")  # fmt: skip
    print()
    print("| samples sent | stored | lost | stored/s | ack p50 ms | ack p99 ms | ack max ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {sent} | {stored} | {sent - stored} | {stored / elapsed:.0f} | {_percentile(latencies, 50):.1f} | "
          f"{_percentile(latencies, 99):.1f} | {max(latencies):.1f} |")  # fmt: skip
    print()
    print("| minute | acks | ack p99 ms |")
    print("|---:|---:|---:|")
    for minute in range(int(elapsed // 60) + 1):
        window = [ms for t, ms in timed if minute * 60 <= t < (minute + 1) * 60]
        if window:
            print(f"| {minute + 1} | {len(window)} | {_percentile(window, 99):.1f} |")
    print()
    print("| t s | server RSS MB | database connections |")
    print("|---:|---:|---:|")
    for t, rss, conns in samples:
        print(f"| {t:.0f} | {rss:.0f} | {conns} |")


if __name__ == "__main__":
    main()

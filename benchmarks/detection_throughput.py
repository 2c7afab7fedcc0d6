"""Throughput of the gaze_capture detectors on a simulated 1-hour 1000 Hz recording, beside pymovements'
I-VT and I-DT on the same samples in the same run (when pymovements, the optional ``bench`` extra, is
installed).

Run from the repository root::

    python benchmarks/detection_throughput.py [--minutes 60] [--rate 1000] [--repeats 3]

Prints a markdown table of samples per second (best of ``--repeats``). gaze_capture's times include
everything from raw pixel samples to fixation and saccade tables; pymovements' I-VT is timed on
velocities already computed (numpy central differences, not timed), its I-DT on positions in degrees,
on the first ``--pm-minutes`` (I-VT) and ``--pm-idt-minutes`` (I-DT, slow) of the recording.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaze_capture import ScreenGeometry, View, segment  # noqa: E402
from gaze_capture.simulate import ReaderConfig, simulate_reading  # noqa: E402


def best_of(fn, repeats):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pm-minutes", type=float, default=60.0)
    ap.add_argument("--pm-idt-minutes", type=float, default=5.0, help="pymovements' I-DT is slow")
    args = ap.parse_args()
    g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    view = View(0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000))
    sim = simulate_reading(
        args.minutes * 60000, view=view, geometry=g, config=ReaderConfig(rate_hz=args.rate)
    )
    s = sim.samples
    n = len(s)
    ppd = g.pixels_per_degree
    rows = []
    for method in ("ivt", "idt", "adaptive"):
        sec, seg = best_of(lambda m=method: segment(m, s, pixels_per_degree=ppd), args.repeats)
        rows.append((f"gaze_capture `{method}`", n, sec, len(seg.fixations)))
    try:
        import pymovements as pm
        from pymovements.events import idt as pm_idt
        from pymovements.events import ivt as pm_ivt
    except ImportError:
        pm = None
    if pm is not None:
        m = min(n, int(args.pm_minutes * 60000 * args.rate / 1000))
        pos = np.column_stack([s.x[:m], s.y[:m]]) / ppd
        vel = np.gradient(pos, s.t_ms[:m] / 1000.0, axis=0)
        ts = np.round(s.t_ms[:m]).astype(np.int64)
        sec, ev = best_of(
            lambda: pm_ivt(vel, timesteps=ts, minimum_duration=60, velocity_threshold=30.0), args.repeats
        )
        rows.append((f"pymovements {pm.__version__} I-VT", m, sec, len(ev.frame)))
        k = min(m, int(args.pm_idt_minutes * 60000 * args.rate / 1000))
        sec, ev = best_of(
            lambda: pm_idt(pos[:k], timesteps=ts[:k], minimum_duration=100, dispersion_threshold=1.0), 1
        )
        rows.append((f"pymovements {pm.__version__} I-DT", k, sec, len(ev.frame)))
    print(
        f"Simulated recording: {args.minutes:g} min at {args.rate:g} Hz = {n:,} samples; "
        f"best of {args.repeats}\n"
    )
    print("| detector | samples | seconds | samples/s | fixations |")
    print("|---|---|---|---|---|")
    for name, k, sec, nf in rows:
        print(f"| {name} | {k:,} | {sec:.3f} | {k / sec / 1e6:.2f} M | {nf:,} |")
    by = {r[0]: r[1] / r[2] for r in rows}
    pm_rows = [r[0] for r in rows if r[0].startswith("pymovements")]
    if pm_rows:
        print()
        print(
            f"Ratio I-VT gaze_capture / pymovements: {by['gaze_capture `ivt`'] / by[pm_rows[0]]:.1f}x; "
            f"I-DT: {by['gaze_capture `idt`'] / by[pm_rows[1]]:.0f}x"
        )


if __name__ == "__main__":
    main()

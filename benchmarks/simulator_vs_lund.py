"""Statistics of the simulated reader against the real Lund 2013 image-viewing recordings.

Fixation durations, saccade amplitudes and peak velocities, and a main-sequence fit, from (a) the human
coder's labels on the real recordings, (b) the adaptive detector on the real recordings, (c) the
simulator's ground truth and (d) the adaptive detector on simulated samples (same screen, 500 Hz, the real
recordings' precision).

Run from the repository root::

    python benchmarks/simulator_vs_lund.py [--data ../shared/data/eyemove_lund2013] [--minutes 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaze_capture import View, segment  # noqa: E402
from gaze_capture.detection import events_from_labels  # noqa: E402
from gaze_capture.formats import LUND_GEOMETRY, lund_recordings  # noqa: E402
from gaze_capture.simulate import ReaderConfig, simulate_reading  # noqa: E402

PPD = LUND_GEOMETRY.pixels_per_degree


def main_sequence(a, vmax, c):
    return vmax * (1 - np.exp(-a / c))


def describe(name, fix_dur, amp, pv):
    ok = (amp > 0.5) & np.isfinite(pv)
    try:
        (vmax, c), _ = curve_fit(main_sequence, amp[ok], pv[ok], p0=(500, 5), maxfev=5000)
    except RuntimeError:
        vmax = c = float("nan")
    q = lambda v: "{:.0f} [{:.0f}-{:.0f}]".format(*np.nanpercentile(v, [50, 25, 75]))  # noqa: E731
    qa = lambda v: "{:.1f} [{:.1f}-{:.1f}]".format(*np.nanpercentile(v, [50, 25, 75]))  # noqa: E731
    skew = float(np.mean(fix_dur) / np.median(fix_dur))
    print(
        f"| {name} | {len(fix_dur)} | {q(fix_dur)} | {skew:.2f} | {len(amp)} | {qa(amp)} | {q(pv)} | "
        f"{vmax:.0f} / {c:.1f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data" / "eyemove_lund2013")
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    recs = lund_recordings(args.data, stimulus="img")
    parts = {"coder MN": ([], [], []), "adaptive on real": ([], [], [])}
    s2s = []
    for r in recs:
        for name, lab in (
            ("coder MN", r.labels["MN"]),
            ("adaptive on real", segment("adaptive", r.samples, pixels_per_degree=PPD).labels),
        ):
            seg = events_from_labels(r.samples, lab, pixels_per_degree=PPD)
            parts[name][0].append(seg.fixations.duration_ms)
            parts[name][1].append(seg.saccades.amplitude_deg)
            parts[name][2].append(seg.saccades.peak_velocity_dps)
        fix = (r.labels["MN"] == 1)[1:] & (r.labels["MN"] == 1)[:-1]
        d = np.hypot(np.diff(r.samples.x), np.diff(r.samples.y))[fix] / PPD
        s2s.append(d[np.isfinite(d)])
    precision = float(np.sqrt(np.mean(np.concatenate(s2s) ** 2)))
    view = View(0.0, (0, 0, 1024, 768), (0, 0, 1024, 768), (768, 1024))
    cfg = ReaderConfig(rate_hz=500.0, precision_rms_deg=precision)
    sim = simulate_reading(args.minutes * 60000, view=view, geometry=LUND_GEOMETRY, config=cfg, seed=1)
    det = segment("adaptive", sim.samples, pixels_per_degree=PPD)
    print(f"Lund img: {len(recs)} recordings; fixation RMS-S2S {precision:.3f} deg (the simulator uses it)")
    print(f"Simulator: {args.minutes:g} min at 500 Hz, Lund screen geometry\n")
    print(
        "| source | fixations | duration ms, median [IQR] | mean/median | saccades | amplitude deg | "
        "peak velocity deg/s | main sequence Vmax / C |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (fd, am, pv) in parts.items():
        describe(f"Lund img, {name}", np.concatenate(fd), np.concatenate(am), np.concatenate(pv))
    describe(
        "simulator, ground truth",
        sim.fixations.duration_ms,
        sim.saccades.amplitude_deg,
        sim.saccades.peak_velocity_dps,
    )
    describe(
        "simulator, adaptive detector",
        det.fixations.duration_ms,
        det.saccades.amplitude_deg,
        det.saccades.peak_velocity_dps,
    )


if __name__ == "__main__":
    main()

"""Sample-level Cohen's kappa of every gaze_capture detector and of REMoDNaV against human coders and known
truth, from one run: the Lund 2013 hand-labelled recordings (in-sample and leave-one-recording-out), the
same recordings degraded to remote trackers (300 Hz and 60 Hz, 0.3-0.5 deg RMS noise, dropouts), and the
simulated reader at several rates and precisions.

Run from the repository root (REMoDNaV from the ``bench`` extra; without it its rows are left out)::

    python benchmarks/detection_accuracy.py [--data ../shared/data/eyemove_lund2013] [--sim-minutes 2]

Scoring: per stimulus type and coder, samples of all recordings pooled; the platform's stimuli are static
images, so every detector's smooth pursuit (``adaptive``, REMoDNaV) counts as fixation. The coders' labels
are left as they are (on dots and video they code pursuit, which no detector scored this way can match).
Leave-one-out: for each recording, each detector's parameter (one small grid per detector) is chosen by
fixation kappa, averaged over both coders, on the other recordings of the same stimulus type, and the
held-out recording is labelled with it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _peers import remodnav_available, remodnav_labels  # noqa: E402

from gaze_capture import EventLabel, ScreenGeometry, View, segment  # noqa: E402
from gaze_capture.evaluation import degrade, event_kappa  # noqa: E402
from gaze_capture.formats import LUND_GEOMETRY, LUND_RATE_HZ, lund_recordings  # noqa: E402
from gaze_capture.simulate import ReaderConfig, simulate_reading  # noqa: E402

STIMULI = ("img", "dots", "video")
CODERS = ("MN", "RA")
EVENTS = {EventLabel.FIXATION: "Fix", EventLabel.SACCADE: "Sac", EventLabel.PSO: "PSO"}
DETECTORS = ("avt", "ivt", "idt", "adaptive")
GRIDS = {
    "avt": ("peak_sd_factor", (4.0, 5.0, 6.0, 7.0)),
    "ivt": ("velocity_threshold_dps", (20.0, 30.0, 45.0, 60.0, 80.0)),
    "idt": ("dispersion_threshold_deg", (0.5, 1.0, 1.5, 2.0)),
    "adaptive": ("peak_sd_factor", (4.0, 5.0, 6.0)),
    "remodnav": ("noise_factor", (3.0, 5.0, 7.0)),
}
PPD = LUND_GEOMETRY.pixels_per_degree


def labels_of(method: str, samples, ppd: float, rate_hz: float, **params) -> np.ndarray:
    """Per-sample codes of one detector, pursuit counted as fixation."""
    if method == "remodnav":
        lab = remodnav_labels(samples, ppd, rate_hz, **params)
    else:
        lab = segment(method, samples, pixels_per_degree=ppd, **params).labels.copy()
    lab[lab == EventLabel.PURSUIT] = EventLabel.FIXATION
    return lab


def try_labels(method, samples, ppd, rate_hz, **params):
    try:
        return labels_of(method, samples, ppd, rate_hz, **params), ""
    except Exception as exc:  # a peer that cannot run on this input is reported, not fatal
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())[:70]}"


def table(title, rows, events):
    print(f"\n{title}\n")
    print("| stimulus | coder | detector | " + " | ".join(EVENTS[e] for e in events) + " |")
    print("|---|---|---|" + "---|" * len(events))
    for stim, coder, name, cells in rows:
        print(f"| {stim} | {coder} | {name} | " + " | ".join(cells) + " |")


def kappa_rows(methods, by_method, coded, stims, events):
    """``by_method[m][stim]`` lists labels per recording, ``coded[(stim, coder)]`` the coder's."""
    rows = []
    for stim in stims:
        for coder in CODERS:
            for m in methods:
                labs = by_method[m].get(stim)
                if isinstance(labs, str):
                    rows.append((stim, coder, m, [labs] + [""] * (len(events) - 1)))
                    continue
                cells = [f"{event_kappa(labs, coded[(stim, coder)], int(e)):.3f}" for e in events]
                rows.append((stim, coder, m, cells))
    return rows


def run_set(methods, recs, rate_hz, ppd, **params):
    """{method: {stim: [labels per recording] or an error string}}."""
    out = {}
    for m in methods:
        out[m] = {}
        for stim in STIMULI:
            labs = []
            for r in (r for r in recs if r[0] == stim):
                lab, err = try_labels(m, r[1], ppd, rate_hz, **params)
                if lab is None:
                    labs = f"fails ({err})"
                    break
                labs.append(lab)
            out[m][stim] = labs
    return out


def leave_one_out(methods, recs):
    """Held-out labels per method and stimulus, each recording labelled with the grid value chosen on the
    others of its stimulus type; also how often each value was chosen."""
    out, chosen = {}, {}
    for m in methods:
        name, values = GRIDS[m]
        table_ = [[labels_of(m, r[1], PPD, LUND_RATE_HZ, **{name: v}) for v in values] for r in recs]
        out[m], chosen[m] = {}, []
        for stim in STIMULI:
            idx = [i for i, r in enumerate(recs) if r[0] == stim]
            held = []
            for i in idx:
                rest = [j for j in idx if j != i]
                score = [
                    np.mean(
                        [
                            event_kappa([table_[j][k] for j in rest], [recs[j][2][c] for j in rest], 1)
                            for c in CODERS
                        ]
                    )
                    for k in range(len(values))
                ]
                k = int(np.argmax(score))
                chosen[m].append(values[k])
                held.append(table_[i][k])
            out[m][stim] = held
    return out, chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data" / "eyemove_lund2013")
    ap.add_argument("--sim-minutes", type=float, default=2.0)
    args = ap.parse_args()
    if not (args.data / "files_index.csv").is_file():
        sys.exit(f"Lund 2013 data not found at {args.data}")
    t_start = time.perf_counter()
    rm = remodnav_available()
    methods = DETECTORS + (("remodnav",) if rm else ())
    lund = lund_recordings(args.data)
    recs = [(r.stimulus, r.samples, r.labels) for r in lund]
    coded = {(s, c): [r[2][c] for r in recs if r[0] == s] for s in STIMULI for c in CODERS}
    print(f"Lund 2013: {len(recs)} recordings; REMoDNaV {rm or 'not installed'}")

    ev3 = tuple(EVENTS)
    table("Lund 2013, in-sample (each detector's defaults)", kappa_rows(
        methods, run_set(methods, recs, LUND_RATE_HZ, PPD), coded, STIMULI, ev3), ev3)  # fmt: skip
    loo, chosen = leave_one_out(methods, recs)
    table("Lund 2013, leave-one-recording-out", kappa_rows(methods, loo, coded, STIMULI, ev3), ev3)
    print()
    for m in methods:
        name, values = GRIDS[m]
        counts = ", ".join(f"{v:g}: {chosen[m].count(v)}" for v in values)
        print(f"- `{m}` {name} chosen: {counts}")

    ev2 = (EventLabel.FIXATION, EventLabel.SACCADE)
    for rate in (300.0, 60.0):
        deg = []
        for i, r in enumerate(recs):
            precision = (0.3, 0.4, 0.5)[i % 3]
            s, lab = degrade(
                r[1], r[2], rate_hz=rate, precision_rms_deg=precision, pixels_per_degree=PPD, seed=i
            )
            deg.append((r[0], s, lab))
        lost = float(np.mean(np.concatenate([~d[1].valid for d in deg])))
        coded_d = {(s, c): [d[2][c] for d in deg if d[0] == s] for s in STIMULI for c in CODERS}
        table(
            f"Lund 2013 degraded to {rate:g} Hz, 0.3/0.4/0.5 deg RMS noise, {100 * lost:.1f}% of samples lost",
            kappa_rows(methods, run_set(methods, deg, rate, PPD), coded_d, STIMULI, ev2),
            ev2,
        )

    g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    view = View(0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000))
    print(f"\nSimulated reader, {args.sim_minutes:g} min per condition, against its own truth\n")
    print("| rate Hz | precision deg | " + " | ".join(f"{m} Fix / Sac" for m in methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for rate in (60.0, 300.0, 1000.0):
        for precision in (0.03, 0.3, 0.5):
            cfg = ReaderConfig(rate_hz=rate, precision_rms_deg=precision)
            sim = simulate_reading(args.sim_minutes * 60000, view=view, geometry=g, config=cfg, seed=1)
            cells = []
            for m in methods:
                lab, err = try_labels(m, sim.samples, g.pixels_per_degree, rate)
                if lab is None:
                    cells.append(f"fails ({err})")
                else:
                    k = [event_kappa([lab], [sim.labels], int(e)) for e in ev2]
                    cells.append(f"{k[0]:.3f} / {k[1]:.3f}")
            print(f"| {rate:g} | {precision:g} | " + " | ".join(cells) + " |")
    print(f"\nTotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()

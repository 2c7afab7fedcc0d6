"""Sample-level Cohen's kappa of the gaze_capture detectors against the two human coders of the Lund 2013
hand-labelled data set, per stimulus type and event, beside the published REMoDNaV and coder-vs-coder figures.

Run from the repository root::

    python benchmarks/detection_kappa.py [--data ../shared/data/eyemove_lund2013]

Prints a markdown table. One parameter set (each detector's defaults) for all files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaze_capture.evaluation import detector_kappa, event_kappa  # noqa: E402
from gaze_capture.formats import LUND_GEOMETRY, lund_recordings  # noqa: E402

STIMULI = ("img", "dots", "video")
EVENTS = {1: "Fix", 2: "Sac", 3: "PSO"}
DETECTORS = ("avt", "adaptive", "ivt", "idt")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "data" / "eyemove_lund2013")
    args = ap.parse_args()
    if not (args.data / "files_index.csv").is_file():
        sys.exit(f"Lund 2013 data not found at {args.data}")
    ref = json.loads(
        (args.data / "reference" / "remodnav_paper_kappa_and_misclassification.json").read_text()
    )
    ref = ref["kappa"]
    t0 = time.perf_counter()
    recs = lund_recordings(args.data)
    n_samples = sum(len(r.samples) for r in recs)
    ppd = LUND_GEOMETRY.pixels_per_degree
    results = {m: detector_kappa(recs, m, pixels_per_degree=ppd) for m in DETECTORS}
    coder = {}
    for stim in STIMULI:
        sel = [r for r in recs if r.stimulus == stim]
        for ev in EVENTS:
            coder[(stim, ev)] = event_kappa([r.labels["MN"] for r in sel], [r.labels["RA"] for r in sel], ev)
    elapsed = time.perf_counter() - t0

    print(
        f"Lund 2013: {len(recs)} recordings, {n_samples} samples, pixels/degree {ppd:.2f}; {elapsed:.1f} s\n"
    )
    print("| stimulus | coder | detector | Fix | Sac | PSO |")
    print("|---|---|---|---|---|---|")
    for stim in STIMULI:
        print(
            f"| {stim} | MN vs RA | human coders (computed; published) | "
            + " | ".join(
                f"{coder[(stim, ev)]:.2f} ({ref[f'kappaRAMN{stim}{name}']:.2f})"
                for ev, name in EVENTS.items()
            )
            + " |"
        )
        for c in ("MN", "RA"):
            print(
                f"| {stim} | {c} | REMoDNaV (published) | "
                + " | ".join(f"{ref[f'kappaAL{c}{stim}{name}']:.2f}" for name in EVENTS.values())
                + " |"
            )
            for m in DETECTORS:
                cells = []
                for ev, name in EVENTS.items():
                    k = results[m][(stim, c, ev)]
                    pub = ref[f"kappaAL{c}{stim}{name}"]
                    mark = " **>**" if k > pub else ""
                    cells.append(f"{k:.3f}{mark}")
                print(f"| {stim} | {c} | gaze_capture `{m}` | " + " | ".join(cells) + " |")
    print("\n**>**: above the published REMoDNaV figure for that stimulus, coder and event.")


if __name__ == "__main__":
    main()

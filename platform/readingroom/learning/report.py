"""Learning curves as a markdown table and a PNG plot (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def curve_area(reads: list[int], auroc: list[float | None]) -> float | None:
    """Area under a learning curve (trapezoids over reads), divided by its span of reads: a mean AUROC."""
    pts = [(r, a) for r, a in zip(reads, auroc, strict=True) if a is not None]
    if len(pts) < 2:
        return pts[0][1] if pts else None
    x, y = np.array(pts, dtype=np.float64).T
    return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) / (x[-1] - x[0]))


def summarise(curves: dict[str, list[list[dict]]]) -> list[dict]:
    """Per arm: mean AUROC per number of reads, mean and spread (sample std) of the curve areas over seeds,
    seconds per round; ``curves[arm][seed]`` is a list of round points (dicts with reads, auroc, seconds)."""
    rows = []
    for arm, seeds in curves.items():
        reads = [p["reads"] for p in seeds[0]]
        by_round = [[s[i]["auroc"] for s in seeds if s[i]["auroc"] is not None] for i in range(len(reads))]
        areas = [a for a in (curve_area(reads, [p["auroc"] for p in s]) for s in seeds) if a is not None]
        rows.append({
            "arm": arm, "seeds": len(seeds), "reads": reads,
            "auroc_mean": [float(np.mean(v)) if v else None for v in by_round],
            "auroc_std": [float(np.std(v)) if v else None for v in by_round],
            "area_mean": float(np.mean(areas)) if areas else None,
            "area_std": float(np.std(areas, ddof=1)) if len(areas) > 1 else 0.0,
            "seconds_per_round": float(np.mean([p["seconds"] for s in seeds for p in s])),
        })  # fmt: skip
    return rows


def paired_against_random(curves: dict[str, list[list[dict]]]) -> list[dict]:
    """Per arm, its curve area minus random's seed by seed (round 0 is the same reads for both within a seed):
    the mean difference, its sample sd, the seeds where the arm was ahead, and the exact two-sided p-value of
    the sign-flip (paired permutation) test over seeds, ``None`` where random or the arm's seeds are missing.

    >>> c = lambda a: [[{"reads": 0, "auroc": a}, {"reads": 1, "auroc": a}]]
    >>> paired_against_random({"random": c(0.5) * 3, "x": c(0.6) * 3})[0]["wins"]
    3
    """
    base = {i: curve_area([p["reads"] for p in s], [p["auroc"] for p in s])
            for i, s in enumerate(curves.get("random", []))}  # fmt: skip
    rows = []
    for arm, seeds in curves.items():
        if arm == "random" or not base:
            continue
        diffs = []
        for i, s in enumerate(seeds):
            area = curve_area([p["reads"] for p in s], [p["auroc"] for p in s])
            if area is not None and base.get(i) is not None:
                diffs.append(area - base[i])
        d = np.array(diffs)
        if len(d) == 0:
            rows.append(
                {"arm": arm, "seeds": 0, "diff_mean": None, "diff_std": None, "wins": 0, "p_value": None}
            )
            continue
        signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * len(d))).reshape(len(d), -1).T  # every sign flip
        flipped = np.abs((signs * d).mean(axis=1))
        p_value = float(np.mean(flipped >= abs(d.mean()) - 1e-12))
        rows.append({"arm": arm, "seeds": len(d), "diff_mean": float(d.mean()),
                     "diff_std": float(d.std(ddof=1)) if len(d) > 1 else 0.0,
                     "wins": int((d > 0).sum()), "p_value": p_value})  # fmt: skip
    return rows


def paired_table(curves: dict[str, list[list[dict]]]) -> str:
    """:func:`paired_against_random` as a markdown table ("" without a random arm)."""
    rows = paired_against_random(curves)
    if not rows:
        return ""
    lines = ["| arm | seeds | area minus random (mean ± sd) | seeds ahead | sign-flip p (two-sided) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        diff = f"{_fmt(r['diff_mean'])} ± {_fmt(r['diff_std'])}" if r["seeds"] else "n/a"
        lines.append(
            f"| {r['arm']} | {r['seeds']} | {diff} | {r['wins']} of {r['seeds']} | {_fmt(r['p_value'])} |"
        )
    return "\n".join(lines) + "\n"


def _fmt(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def verdict(rows: list[dict]) -> str:
    """One plain sentence: which arms beat random by more than the spread, or that none does."""
    base = next((r for r in rows if r["arm"] == "random"), None)
    if base is None or base["area_mean"] is None:
        return "No random arm was run, so nothing can be said about beating random."
    better = [
        r["arm"] for r in rows
        if r["arm"] != "random" and r["area_mean"] is not None
        and r["area_mean"] - base["area_mean"] > max(r["area_std"], base["area_std"])
    ]  # fmt: skip
    if not better:
        return "No strategy beats random by more than the spread over seeds."
    return f"Beating random by more than the spread over seeds: {', '.join(better)}."


def markdown_table(rows: list[dict]) -> str:
    reads = rows[0]["reads"]
    head = "| arm | " + " | ".join(f"AUROC @ {n} reads" for n in reads) + " | area (mean ± sd) | s/round |"
    sep = "|" + "---|" * (len(reads) + 3)
    lines = [head, sep]
    for r in rows:
        cells = " | ".join(_fmt(v) for v in r["auroc_mean"])
        area = f"{_fmt(r['area_mean'])} ± {_fmt(r['area_std'])}"
        lines.append(f"| {r['arm']} | {cells} | {area} | {r['seconds_per_round']:.1f} |")
    return "\n".join(lines) + f"\n\n{verdict(rows)} (seeds: {rows[0]['seeds']})\n"


def plot_curves(curves: dict[str, list[list[dict]]], path: Path | str) -> Path:
    """Held-out AUROC against reads, one line per arm (mean over seeds) with a band of ± one sd."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for row in summarise(curves):
        reads = np.array(row["reads"], dtype=np.float64)
        mean = np.array([np.nan if v is None else v for v in row["auroc_mean"]])
        sd = np.array([0.0 if v is None else v for v in row["auroc_std"]])
        ax.plot(reads, mean, marker="o", label=row["arm"])
        ax.fill_between(reads, mean - sd, mean + sd, alpha=0.15)
    ax.set_xlabel("reads (labelled studies)")
    ax.set_ylabel("held-out macro AUROC")
    ax.set_title("Active learning on SYNTHETIC phantoms")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path

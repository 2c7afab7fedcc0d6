"""Figures of a reader study drawn on the server with matplotlib (Agg backend), as PNG or SVG bytes.

``heatmaps``: fixation-density maps (duration-weighted, smoothed) over the image thumbnail per case (columns) and
reader and arm (rows);
``arms``: per-arm means of reading time, read accuracy, finding dwell and lung coverage with 95% t intervals;
``roc``: each reader's (1 - specificity, sensitivity) point per arm over the model's pooled ROC curve;
``calibration``: histograms of the sessions' calibration accuracy and data loss.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image as PILImage  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.ndimage import gaussian_filter  # noqa: E402

from .accuracy import roc_curve  # noqa: E402
from .tables import MODEL, TRUTH, arms_of, read_accuracy  # noqa: E402

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
MAX_CASES = 6
GRID = 64


def _save(fig: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"figure format must be one of {sorted(FORMATS)}, got {fmt!r}")
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=100, bbox_inches="tight", metadata=metadata)
    return buf.getvalue()


def _empty(ax, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def heatmaps(reads: list[dict], fixations: list[dict]) -> Figure:
    cases = sorted({r["case"] for r in reads})[:MAX_CASES]
    rows = sorted({(r["arm_position"], r["arm"], r["reader"]) for r in reads})
    by_read: dict = {}
    for f in fixations:
        by_read.setdefault(f["read_id"], []).append(f)
    fig = Figure(figsize=(1.6 * max(len(cases), 1) + 1.5, 1.6 * max(len(rows), 1) + 0.6))
    if not cases or not rows:
        _empty(fig.add_subplot(1, 1, 1))
        return fig
    axes = fig.subplots(len(rows), len(cases), squeeze=False)
    cell = {(r["arm"], r["reader"], r["case"]): r for r in reads}
    for i, (_, arm, reader) in enumerate(rows):
        for j, case in enumerate(cases):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"case {case}", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{reader}\n{arm}", fontsize=7)
            read = cell.get((arm, reader, case))
            if read is None:
                continue
            h, w = read["image_rows"], read["image_columns"]
            fx = [
                f
                for f in by_read.get(read["read_id"], [])
                if f["x_image"] is not None and f["y_image"] is not None
            ]
            density = np.zeros((GRID, GRID))
            for f in fx:
                gx, gy = int(f["x_image"] / w * GRID), int(f["y_image"] / h * GRID)
                if 0 <= gx < GRID and 0 <= gy < GRID:
                    density[gy, gx] += f["duration_ms"]
            background = _thumbnail(read.get("thumbnail_path", ""))
            if background is not None:
                ax.imshow(background, cmap="gray", extent=(0, w, h, 0))
            smooth = gaussian_filter(density, 2.0)
            ax.imshow(smooth, cmap="magma", extent=(0, w, h, 0), interpolation="bilinear",
                      alpha=None if background is None else _alpha(smooth))  # fmt: skip
    fig.suptitle("Fixation density (duration-weighted) per case, reader and arm", fontsize=9)
    return fig


def _thumbnail(path: str) -> np.ndarray | None:
    """The image's thumbnail as grey levels, or None when it is not there (the density alone is drawn)."""
    if not path or not Path(path).is_file():
        return None
    with PILImage.open(path) as im:
        return np.asarray(im.convert("L"), dtype=float)


def _alpha(density: np.ndarray) -> np.ndarray:
    top = float(density.max())
    return np.clip(density / top, 0.0, 1.0) * 0.8 if top > 0 else np.zeros_like(density)


ARM_BARS: tuple[tuple[str, str, Callable[[dict], float]], ...] = (
    ("reading time (s)", "reading_time_s", lambda r: r.get("reading_time_s")),
    ("read accuracy", "accuracy", read_accuracy),
    ("finding dwell (ms)", "finding_dwell_ms", lambda r: r.get("finding_dwell_ms")),
    ("lung-field coverage", "lung_coverage", lambda r: r.get("lung_coverage")),
)


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, 0.0
    if values.size < 2:
        return float(values.mean()), 0.0
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return float(values.mean()), half


def arm_bars(reads: list[dict]) -> Figure:
    arms = arms_of(reads)
    fig = Figure(figsize=(3.0 * len(ARM_BARS), 3.2))
    axes = fig.subplots(1, len(ARM_BARS), squeeze=False)[0]
    for ax, (title, _, get) in zip(axes, ARM_BARS, strict=True):
        means, halves = [], []
        for arm in arms:
            m, h = _mean_ci(np.array([get(r) if get(r) is not None else math.nan for r in reads if r["arm"] == arm],
                                     dtype=float))  # fmt: skip
            means.append(m)
            halves.append(h)
        if not arms:
            _empty(ax)
            continue
        ax.bar(
            range(len(arms)),
            means,
            yerr=halves,
            capsize=4,
            color=["#888888", "#3b75af", "#c44e52"][: len(arms)],
        )
        ax.set_xticks(range(len(arms)), arms, fontsize=8)
        ax.set_title(title, fontsize=9)
    fig.suptitle("Per-arm means with 95% t intervals (over reads)", fontsize=9)
    return fig


def _pooled(reads: list[dict], arm: str, rater: str) -> tuple[np.ndarray, np.ndarray]:
    truth, score, seen = [], [], set()
    for r in reads:
        if (
            r["arm"] != arm
            or (rater != MODEL and r["reader"] != rater)
            or (rater == MODEL and r["case"] in seen)
        ):
            continue
        seen.add(r["case"])
        for obs, value in (r["truth"] or {}).items():
            if value not in TRUTH:
                continue
            if rater == MODEL:
                p = (r["model"] or {}).get(obs)
                if p is not None:
                    truth.append(TRUTH[value])
                    score.append(float(p))
            else:
                truth.append(TRUTH[value])
                score.append(float(r["labels"].get(obs, "not_mentioned") == "present"))
    return np.array(truth, dtype=int), np.array(score, dtype=float)


def roc(reads: list[dict]) -> Figure:
    fig = Figure(figsize=(4.8, 4.6))
    ax = fig.add_subplot(1, 1, 1)
    arms = arms_of(reads)
    ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=0.8, ls="--")
    if arms:
        y, p = _pooled(reads, arms[0], MODEL)
        if y.size and 0 < y.sum() < y.size:
            fpf, tpf, _ = roc_curve(y, p)
            ax.plot(fpf, tpf, color="black", lw=1.5, label="model (pooled observations)")
    markers = "os^D"
    for k, arm in enumerate(arms):
        for reader in sorted({r["reader"] for r in reads if r["arm"] == arm}):
            y, call = _pooled(reads, arm, reader)
            if y.size and 0 < y.sum() < y.size:
                sens = call[y == 1].mean()
                spec = 1 - call[y == 0].mean()
                ax.scatter(
                    [1 - spec], [sens], marker=markers[k % len(markers)], s=36, label=f"{reader} ({arm})"
                )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title("Readers' operating points over the model's ROC curve", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no reads with both classes in the reference", ha="center", va="center", fontsize=8)
    return fig


def calibration(reads: list[dict]) -> Figure:
    fig = Figure(figsize=(7.5, 3.0))
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "calibration_accuracy_deg", "calibration accuracy (deg)"),
                           (axes[1], "data_loss_pct", "data loss (%)")):  # fmt: skip
        values = np.array([r.get(key) for r in reads if r.get(key) is not None], dtype=float)
        if values.size == 0:
            _empty(ax, "no tracker checks")
            continue
        ax.hist(values, bins=min(20, max(5, values.size // 3)), color="#3b75af")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("sessions")
    fig.suptitle(
        "Tracker calibration quality of the sessions (latest validation, else calibration)", fontsize=9
    )
    return fig


FIGURES = {"heatmaps": None, "arms": arm_bars, "roc": roc, "calibration": calibration}


def render(name: str, reads: list[dict], fixations: list[dict], fmt: str = "png") -> bytes:
    """The figure ``name`` (one of :data:`FIGURES`) as PNG or SVG bytes."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; one of {sorted(FIGURES)}")
    fig = heatmaps(reads, fixations) if name == "heatmaps" else FIGURES[name](reads)
    return _save(fig, fmt)


__all__ = ["FIGURES", "FORMATS", "render"]

"""Time to build a gaze prior (200 fixations on a 2000x2000 image, sigma = 1 degree) at full resolution and
at the stored resolution (longer side at most PRIOR_MAX_SIDE = 518 px, a 4x4-pixel block per value here),
and to pool it to the 37x37 patch grid of a ViT-B/14 at 518 px, with and without the model's centre crop.
The platform rows time ``readingroom.gaze.analysis.gaze_prior`` (two views, each with its own sigma and
on-screen region, at the factor the platform stores priors at) alone and with what the analysis writes
after it (the .npy bytes and the display heatmap PNG).

Run from the repository root::

    python benchmarks/prior_timing.py [--repeats 50]

Prints a markdown table (median and best of ``--repeats``, ms per image).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaze_capture import View, fixation_prior, pool_prior, prior_downsample  # noqa: E402


def platform_rows(x, y, d, h, w, repeats):
    """Timings of the platform's prior path (Django set up with the project's settings, no database)."""
    import os

    sys.path.insert(0, str(ROOT / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readingroom.settings")
    import django

    django.setup()
    from readingroom.core.heatmap import heatmap_png, npy_bytes
    from readingroom.gaze.analysis import gaze_prior
    from readingroom.gaze.prior_scale import prior_downsample_of

    # two views: the whole image fit to a 1000 px high screen area (2 image px per screen px: sigma 45 px at
    # 22.5 screen px per degree), then the upper half across the screen (sigma about 23 px)
    views = [
        View(
            t_ms=0.0,
            image_region=(0.0, 0.0, float(w), float(h)),
            screen_rect=(460.0, 40.0, 1460.0, 1040.0),
            image_shape=(h, w),
        ),
        View(
            t_ms=1.0,
            image_region=(0.0, 0.0, float(w), h / 2.0),
            screen_rect=(0.0, 40.0, 1920.0, 1000.0),
            image_shape=(h, w),
        ),
    ]
    view_index = (y >= h / 2.0).astype(np.intp) ^ 1  # fixations on the upper half fell in the zoomed view
    f = prior_downsample_of((h, w))

    def build(downsample):
        return gaze_prior(x_img=x, y_img=y, duration_ms=d, view_index=view_index, views=views,
                          image_shape=(h, w), pixels_per_degree=22.5, downsample=downsample)  # fmt: skip

    def analysis_writes():
        prior = build(f)
        return npy_bytes(prior), heatmap_png(prior)

    return [
        (f"platform gaze_prior, stored ({f}x{f} blocks), two views", timed(lambda: build(f), repeats)),
        ("platform gaze_prior stored + .npy + heatmap PNG", timed(analysis_writes, repeats)),
        ("platform gaze_prior at full resolution (before), two views", timed(lambda: build(1), repeats)),
    ]


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(out)), float(np.min(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--fixations", type=int, default=200)
    ap.add_argument("--size", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    h = w = args.size
    x = rng.uniform(0, w, args.fixations)
    y = rng.uniform(0, h, args.fixations)
    d = rng.lognormal(np.log(250), 0.45, args.fixations)
    sigma = 45.0  # 1 degree at about 45 image pixels per degree
    prior = fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma)
    region = (100.0, 0.0, 1900.0, 2000.0)
    f = prior_downsample((h, w))
    small = fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma, downsample=f)
    l1 = float(np.abs(pool_prior(prior, (37, 37)) - pool_prior(small, (37, 37))).sum())
    rows = [
        (
            f"prior, stored resolution {small.shape[0]}x{small.shape[1]} (downsample {f})",
            timed(
                lambda: fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma, downsample=f),
                args.repeats,
            ),
        ),
        (
            "prior, stored resolution, on-screen region",
            timed(
                lambda: fixation_prior(
                    x, y, d, image_shape=(h, w), sigma_px=sigma, region=region, downsample=f
                ),
                args.repeats,
            ),
        ),
        (
            "stored prior + pool to 37x37",
            timed(
                lambda: pool_prior(
                    fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma, downsample=f), (37, 37)
                ),
                args.repeats,
            ),
        ),
        (
            "prior, whole image",
            timed(lambda: fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma), args.repeats),
        ),
        (
            "prior, limited to an on-screen region",
            timed(
                lambda: fixation_prior(x, y, d, image_shape=(h, w), sigma_px=sigma, region=region),
                args.repeats,
            ),
        ),
        ("pool to 37x37", timed(lambda: pool_prior(prior, (37, 37), resize_to=518), args.repeats)),
        (
            "pool to 37x37, centre crop",
            timed(lambda: pool_prior(prior, (37, 37), resize_to=518, center_crop=True), args.repeats),
        ),
        ("pool to 14x14", timed(lambda: pool_prior(prior, (14, 14), resize_to=224), args.repeats)),
        *platform_rows(x, y, d, h, w, args.repeats),
    ]
    print(f"{args.fixations} fixations, {h}x{w} image, sigma {sigma:g} px, float32; {args.repeats} repeats\n")
    print("| step | median ms | best ms |")
    print("|---|---|---|")
    for name, (med, best) in rows:
        print(f"| {name} | {med:.2f} | {best:.2f} |")
    print(f"\n37x37 pooling of the stored prior vs the full-resolution one: L1 difference {l1:.2e}")


if __name__ == "__main__":
    main()

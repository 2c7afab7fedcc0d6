"""GPU figures for the ``paper``-size CoGaze model, against a fair reference-style baseline.

Every mode runs the project's own training loop (``cogaze.train.train``) for the same number of epochs over
the same SYNTHETIC phantoms, in the pretraining stage (L_con + L_gaze + L_cls only, as the paper's first
stage: no report decoder), at batch 80, with data loading (collation, resizing, heatmap pooling) included.
The time is the loop's own clock at its last optimizer step: model construction and the final checkpoint
write are left out, the first epoch's cache fill is counted in the cached mode.

  A. reference-style: fp32 with ``torch.set_float32_matmul_precision("medium")`` (the reference's
     setting: TF32/bf16 matmul kernels allowed), the frozen backbone recomputed every step;
  B. bf16 autocast, backbone recomputed;
  C. bf16 autocast + the float16 frozen-backbone feature cache (pinned CPU memory), fill included.

It also measures inference latency per study (``Predictor.predict`` on a 1024 x 1024 image, with and
without beam-search findings). The backbone is randomly initialised (``vision.allow_random_frozen``): the
speed does not depend on the weights.

Run on one GPU:
    PYTHONPATH=. python benchmarks/cogaze_gpu.py
Tiny CPU check of the script itself:
    PYTHONPATH=. python benchmarks/cogaze_gpu.py --smoke
Prints a markdown table with the device, the date and the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cogaze.config import load_config  # noqa: E402
from cogaze.data import PhantomDataset  # noqa: E402
from cogaze.infer import Predictor  # noqa: E402
from cogaze.train import train  # noqa: E402

MODES = (
    ("A. fp32, matmul precision medium, backbone recomputed (reference-style)", False, False),
    ("B. bf16 autocast, backbone recomputed", True, False),
    ("C. bf16 autocast + feature cache (fill counted)", True, True),
)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_mode(cfg, data, device, *, bf16: bool, cache: bool, epochs: int, workers: int) -> dict:
    """One training run in the pretraining stage; images/s from the loop's clock at its last step."""
    mode_cfg = cfg.replace(
        train={"stage": "pretrain", "bf16": bf16, "cache_features": cache, "checkpoint_every": 0,
               "log_every": 10**9, "num_workers": workers}
    )  # fmt: skip
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    with tempfile.TemporaryDirectory() as tmp:
        result = train(mode_cfg, data, out_dir=tmp, epochs=epochs, device=device, progress=False)
    _sync(device)
    seconds = result.history[-1]["seconds"]
    steps = result.steps
    return {
        "images_per_s": steps * cfg.train.batch_size / seconds,
        "seconds": seconds,
        "step_s": seconds / steps,
        "peak_gib": torch.cuda.max_memory_allocated(device) / 2**30
        if device.type == "cuda"
        else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny config on CPU, a few steps")
    ap.add_argument("--config", default=None, help="preset (default: paper, or tiny with --smoke)")
    ap.add_argument("--batch-size", type=int, default=80)
    ap.add_argument("--batches", type=int, default=6, help="batches per epoch")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per mode (the cache fills in the first)")
    ap.add_argument("--workers", type=int, default=4, help="DataLoader workers")
    ap.add_argument("--latency-repeats", type=int, default=3)
    args = ap.parse_args()
    if args.smoke:
        args.config = args.config or "tiny"
        args.batch_size, args.batches, args.epochs, args.workers, args.latency_repeats = 4, 2, 2, 0, 1
        device = torch.device("cpu")
        torch.set_num_threads(1)
    else:
        args.config = args.config or "paper"
        if not torch.cuda.is_available():
            sys.exit("cogaze_gpu.py: no CUDA device; use --smoke for a CPU check of the script")
        device = torch.device("cuda")
    torch.set_float32_matmul_precision("medium")  # the reference's setting, for every mode
    t_start = time.perf_counter()
    torch.manual_seed(0)
    cfg = load_config(args.config).replace(
        vision={"frozen": True, "allow_random_frozen": True},
        train={"batch_size": args.batch_size, "grad_accum": 1},
    )
    t0 = time.perf_counter()
    data = PhantomDataset(args.batch_size * args.batches, size=min(512, cfg.vision.image_size), seed=0)
    phantom_s = time.perf_counter() - t0
    rows = [(name, run_mode(cfg, data, device, bf16=bf16, cache=cache, epochs=args.epochs, workers=args.workers))
            for name, bf16, cache in MODES]  # fmt: skip
    base = rows[0][1]["images_per_s"]

    from cogaze.model import CogazeModel

    model = CogazeModel(cfg).to(device)
    n_train, n_all = model.num_parameters(trainable_only=True), model.num_parameters()
    predictor = Predictor(model.eval(), device=device)
    image = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    lat = {}
    for gen in (False, True):
        predictor.predict(image, context="[INDICATION] dyspnea", generate=gen)  # warm-up
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(args.latency_repeats):
            predictor.predict(image, context="[INDICATION] dyspnea", generate=gen)
        _sync(device)
        lat[gen] = (time.perf_counter() - t0) / args.latency_repeats

    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (smoke run)"
    print(f"device: {card}; date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; torch {torch.__version__}")
    print(f"command: PYTHONPATH=. python benchmarks/cogaze_gpu.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"config: {cfg.name} (image {cfg.vision.image_size} px, grid {cfg.vision.grid}x{cfg.vision.grid}, "
        f"dim {cfg.dim}, {cfg.perceiver.num_latents} latents, depth {cfg.perceiver.depth}); parameters "
        f"{n_all / 1e6:.1f} M, trainable {n_train / 1e6:.1f} M; pretraining stage, batch {args.batch_size}, "
        f"{args.epochs} epochs of {args.batches} batches per mode, {args.workers} loader workers; "
        f"SYNTHETIC phantoms ({phantom_s:.1f} s to generate, not counted)\n"
    )
    print("| training mode | images/s | total (s) | step (s) | peak memory (GiB) | speed-up vs A |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['images_per_s']:.1f} | {r['seconds']:.2f} | {r['step_s']:.3f} | "
              f"{r['peak_gib']:.2f} | {r['images_per_s'] / base:.2f}x |")  # fmt: skip
    print("\n| inference per study (1024 x 1024 input, fp32) | latency (s) |")
    print("|---|---:|")
    print(f"| probabilities + attention + embedding | {lat[False]:.3f} |")
    print(f"| ... + beam-search findings (beam {cfg.decoder.beam_size}) | {lat[True]:.3f} |")
    print(f"\ntotal wall time: {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()

"""GPU figures for the ``paper``-size CoGaze model with a randomly initialised frozen ViT-B/14 (518 px).

One run compares training throughput (images/s) and peak memory of
  A. the reference way: fp32, the frozen backbone recomputed every step;
  B. bf16 autocast, backbone still recomputed;
  C. bf16 autocast + the frozen-backbone feature cache (steady state; filling the cache is timed apart),
and measures inference latency per study (``Predictor.predict`` on a 1024 x 1024 image, with and without
beam-search findings). Data: SYNTHETIC phantoms, collated once (the loader is not what is measured).

Run on one GPU (finishes in a few minutes on an H100):
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
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cogaze.config import load_config  # noqa: E402
from cogaze.data import Collator, PhantomDataset  # noqa: E402
from cogaze.infer import Predictor  # noqa: E402
from cogaze.model import CogazeModel  # noqa: E402
from cogaze.train import FeatureCache  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gib(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")


def run_mode(
    model, batches, device, *, bf16: bool, cache: FeatureCache | None, steps: int, warmup: int
) -> dict:
    """Train ``warmup + steps`` steps cycling over ``batches``; images/s over the timed steps."""
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5)
    model.train()
    fill_s = 0.0
    if cache is not None:  # one pass over the data fills the cache (the first epoch of a real run)
        _sync(device)
        t0 = time.perf_counter()
        for b in batches:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                cache.fill(b, model.vision)
        _sync(device)
        fill_s = time.perf_counter() - t0
    _reset_peak(device)
    images = 0
    t0 = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            _sync(device)
            t0 = time.perf_counter()
        b = batches[i % len(batches)]
        if cache is not None:
            b = cache.fill(b, model.vision)
        else:
            b.features = None
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            parts = model.compute_loss(b, model(b))
        opt.zero_grad(set_to_none=True)
        parts["loss"].backward()
        opt.step()
        if i >= warmup:
            images += len(b)
    _sync(device)
    seconds = time.perf_counter() - t0
    del opt
    return {
        "images_per_s": images / seconds,
        "step_s": seconds / steps,
        "peak_gib": _peak_gib(device),
        "fill_s": fill_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny config on CPU, a few steps")
    ap.add_argument("--config", default=None, help="preset (default: paper, or tiny with --smoke)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--batches", type=int, default=4, help="distinct batches (the cached 'epoch')")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--latency-repeats", type=int, default=3)
    args = ap.parse_args()
    if args.smoke:
        args.config = args.config or "tiny"
        args.batch_size, args.batches, args.steps, args.warmup, args.latency_repeats = 4, 2, 2, 1, 1
        device = torch.device("cpu")
        torch.set_num_threads(1)
    else:
        args.config = args.config or "paper"
        if not torch.cuda.is_available():
            sys.exit("cogaze_gpu.py: no CUDA device; use --smoke for a CPU check of the script")
        device = torch.device("cuda")
    t_start = time.perf_counter()
    torch.manual_seed(0)
    cfg = load_config(args.config)
    cfg = cfg.replace(
        vision={"frozen": True, "allow_random_frozen": True}, train={"batch_size": args.batch_size}
    )
    model = CogazeModel(cfg).to(device)
    n_train = model.num_parameters(trainable_only=True)
    n_all = model.num_parameters()
    phantom_size = min(256, cfg.vision.image_size)
    data = PhantomDataset(args.batch_size * args.batches, size=phantom_size, seed=0)
    collate = Collator(cfg)
    batches = [
        collate([(i, data[i]) for i in range(k * args.batch_size, (k + 1) * args.batch_size)]).to(device)
        for k in range(args.batches)
    ]
    model.criterion.set_class_counts(np.stack([b.targets.cpu().numpy() for b in batches]).sum((0, 1)))
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rows = []
    modes = (
        ("A. fp32, backbone recomputed (reference way)", False, False),
        ("B. bf16 autocast, backbone recomputed", True, False),
        ("C. bf16 autocast + feature cache", True, True),
    )
    for name, bf16, use_cache in modes:
        model.load_state_dict(init)  # same starting point for every mode
        cache = FeatureCache(device=device) if use_cache else None
        r = run_mode(model, batches, device, bf16=bf16, cache=cache, steps=args.steps, warmup=args.warmup)
        rows.append((name, r))
        del cache
    base = rows[0][1]["images_per_s"]

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
        f"{n_all / 1e6:.1f} M, trainable {n_train / 1e6:.1f} M; batch {args.batch_size}, "
        f"{args.steps} timed steps after {args.warmup} warm-up; SYNTHETIC phantom data\n"
    )
    print("| training mode | images/s | step (s) | peak memory (GiB) | speed-up vs A | cache fill (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        fill = f"{r['fill_s']:.2f}" if r["fill_s"] else "-"
        print(
            f"| {name} | {r['images_per_s']:.1f} | {r['step_s']:.3f} | {r['peak_gib']:.2f} | "
            f"{r['images_per_s'] / base:.2f}x | {fill} |"
        )
    print("\n| inference per study (1024 x 1024 input, fp32) | latency (s) |")
    print("|---|---:|")
    print(f"| probabilities + attention + embedding | {lat[False]:.3f} |")
    beam = f"beam {cfg.decoder.beam_size}, <= {cfg.decoder.max_length} tokens"
    print(f"| ... + beam-search findings ({beam}) | {lat[True]:.3f} |")
    print(f"\ntotal wall time: {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()

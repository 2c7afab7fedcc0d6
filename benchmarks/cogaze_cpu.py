"""CPU figures for the ``tiny`` CoGaze preset: training step time and a full training run.

Run: ``PYTHONPATH=. python benchmarks/cogaze_cpu.py`` (add ``--threads 2`` to compare thread counts).
Prints a markdown table. Data: SYNTHETIC phantoms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from cogaze.config import load_config  # noqa: E402
from cogaze.data import Collator, PhantomDataset  # noqa: E402
from cogaze.model import CogazeModel  # noqa: E402
from cogaze.train import train  # noqa: E402


def step_times(threads: int, steps: int, batch_size: int) -> list[float]:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = load_config("tiny")
    model = CogazeModel(cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = PhantomDataset(batch_size * 4, size=cfg.vision.image_size, seed=3)
    collate = Collator(cfg)
    batches = [collate([data[i] for i in range(k * batch_size, (k + 1) * batch_size)]) for k in range(4)]
    times = []
    for i in range(steps + 3):
        b = batches[i % 4]
        t0 = time.perf_counter()
        parts = model.compute_loss(b, model(b))
        opt.zero_grad(set_to_none=True)
        parts["loss"].backward()
        opt.step()
        if i >= 3:  # warm-up excluded
            times.append(time.perf_counter() - t0)
    return times


def full_run(n: int) -> dict:
    t0 = time.perf_counter()
    cfg = load_config("tiny")
    data = PhantomDataset(n, size=cfg.vision.image_size, seed=0)
    t_data = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as out:
        result = train(cfg, data, out_dir=out, progress=False)
    first, last = result.first_last("loss")
    return {
        "data_s": t_data,
        "train_s": result.seconds,
        "total_s": time.perf_counter() - t0,
        "steps": result.steps,
        "loss_first": first,
        "loss_last": last,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--phantoms", type=int, default=160)
    args = ap.parse_args()
    print(
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, torch "
        f"{torch.__version__}; data: SYNTHETIC phantoms\n"
    )
    print("| measurement | threads | value |")
    print("|---|---:|---:|")
    for th in args.threads:
        t = step_times(th, args.steps, 8)
        ms = 1000 * statistics.median(t)
        print(f"| tiny train step, batch 8 (median of {len(t)}) | {th} | {ms:.0f} ms |")
    torch.set_num_threads(1)
    r = full_run(args.phantoms)
    print(f"| phantom generation, {args.phantoms} studies | 1 | {r['data_s']:.1f} s |")
    label = f"full tiny run (`python -m cogaze train --config tiny`), {r['steps']} steps"
    print(f"| {label} | 1 | {r['train_s']:.1f} s |")
    print(f"| loss, first 20% -> last 20% of steps | 1 | {r['loss_first']:.2f} -> {r['loss_last']:.2f} |")


if __name__ == "__main__":
    main()

"""CPU inference latency per study for the ``tiny`` CoGaze preset, as the learning loop uses it.

Single: ``cogaze.infer.Predictor.predict`` one study at a time (the inference job and pool scoring path),
with and without the report draft (beam search). Batched: ``cogaze.evaluate`` over the same studies in
batches of 16 (probabilities and embeddings of every study, no text generation), divided by the number of
studies. Run: ``PYTHONPATH=. python benchmarks/learning_inference.py [--studies 32] [--threads 1]``.
Prints a markdown table. Data: SYNTHETIC phantoms; the model is untrained (latency does not depend on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from cogaze.config import load_config  # noqa: E402
from cogaze.data import PhantomDataset  # noqa: E402
from cogaze.evaluate import evaluate  # noqa: E402
from cogaze.infer import Predictor  # noqa: E402
from cogaze.model import CogazeModel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = load_config("tiny")
    predictor = Predictor(CogazeModel(cfg), device="cpu")
    data = PhantomDataset(args.studies, size=cfg.vision.image_size, seed=7)
    rows = []
    for generate in (False, True):
        predictor.predict(data[0].image, generate=generate)  # warm-up
        times = []
        for sample in data:
            t0 = time.perf_counter()
            predictor.predict(sample.image, view_position=sample.view_position, context=sample.context,
                              generate=generate)  # fmt: skip
            times.append(time.perf_counter() - t0)
        label = "single, with report draft" if generate else "single, no report draft"
        rows.append((label, 1000 * statistics.median(times)))
    evaluate(predictor.model, data, generate=False, batch_size=16)  # warm-up
    t0 = time.perf_counter()
    evaluate(predictor.model, data, generate=False, batch_size=16)
    rows.append(("batched (16), no report draft", 1000 * (time.perf_counter() - t0) / len(data)))
    print(f"| mode ({args.studies} studies, {args.threads} thread(s)) | ms per study |")
    print("|---|---|")
    for label, ms in rows:
        print(f"| {label} | {ms:.1f} |")


if __name__ == "__main__":
    main()

"""Command line: ``python -m cogaze train | evaluate | reproduce | downstream | infer``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cogaze.errors import CogazeError


def torch_distributed_ready() -> bool:
    """Whether a torch process group is up (training under ``torchrun``)."""
    import torch.distributed

    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _add_data(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--data",
        default=default,
        help="phantoms:N | export:PATH | mimic:ROOT:ANNOTATION.json | "
        "reference:IMAGES_ROOT:ANNOTATION.json[:GAZE_ROOT] (the CoGaze paper's annotation JSON)",
    )
    p.add_argument("--split", default=None, help="split to use for export/mimic data (default: all / train)")
    p.add_argument("--phantom-size", type=int, default=None, help="phantom image side (default: model input)")
    p.add_argument("--seed", type=int, default=0)


def _open(args, config):
    from cogaze.data import open_dataset

    size = args.phantom_size or config.vision.image_size
    return open_dataset(args.data, split=args.split, size=size, seed=args.seed)


def cmd_train(args) -> int:
    from cogaze.config import load_config
    from cogaze.train import train

    config = load_config(args.config)
    overrides = {}
    if args.lr is not None:
        overrides["lr"] = args.lr
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.grad_accum is not None:
        overrides["grad_accum"] = args.grad_accum
    if overrides:
        config = config.replace(train=overrides)
    if args.no_gaze or args.no_context:
        config = config.replace(loss={"use_gaze": not args.no_gaze, "use_context": not args.no_context})
    if args.stage:
        config = config.replace(train={"stage": args.stage})
    if args.select_metric:
        config = config.replace(train={"select_metric": args.select_metric})
    split_data = args.data.startswith(("export:", "mimic:", "reference:"))
    if args.split is None and split_data:
        args.split = "train"
    dataset = _open(args, config)
    val_dataset = None
    if args.val_data or split_data:
        from cogaze.data import open_dataset

        spec = args.val_data or args.data
        val_dataset = open_dataset(
            spec, split=args.val_split, size=args.phantom_size or config.vision.image_size, seed=args.seed + 1
        )
        if len(val_dataset) == 0 and not args.val_data:
            print(
                f"cogaze: no {args.val_split!r} studies in {spec}: training without validation",
                file=sys.stderr,
            )
            val_dataset = None
    result = train(
        config,
        dataset,
        out_dir=args.out,
        max_steps=args.max_steps,
        epochs=args.epochs,
        resume=args.resume,
        device=args.device,
        progress=not args.no_progress,
        val_dataset=val_dataset,
        init_from=args.init_from,
    )
    if torch_distributed_ready():
        import torch.distributed

        torch.distributed.destroy_process_group()
        if int(os.environ.get("RANK", "0")) != 0:
            return 0
    first, last = result.first_last("loss")
    print(
        json.dumps(
            {
                "out": str(result.out_dir),
                "steps": result.steps,
                "seconds": round(result.seconds, 2),
                "loss_first": round(first, 4),
                "loss_last": round(last, 4),
                "checkpoint": str(result.checkpoint),
            }
        )
    )
    return 0


def load_labeler(spec: str):
    """The function named by ``MODULE:FUNCTION`` (a report labeler), or a :class:`CogazeError` naming it."""
    import importlib

    module, _, name = spec.partition(":")
    if not module or not name:
        raise CogazeError(f"--labeler: expected MODULE:FUNCTION, got {spec!r}")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise CogazeError(f"--labeler: cannot load {spec!r}: {exc}") from exc
    if not callable(fn):
        raise CogazeError(f"--labeler: {spec!r} is not callable")
    return fn


def cmd_evaluate(args) -> int:
    from cogaze.evaluate import evaluate
    from cogaze.infer import Predictor

    predictor = Predictor.from_checkpoint(args.checkpoint, device=args.device)
    if args.split is None and args.data.startswith(("export:", "mimic:", "reference:")):
        args.split = "test"
    dataset = _open(args, predictor.config)
    result = evaluate(
        predictor.model,
        dataset,
        batch_size=args.batch_size,
        generate=not args.no_generate,
        max_generate=args.max_generate,
        labeler=load_labeler(args.labeler) if args.labeler else None,
        device=args.device,
    )
    print(result.to_markdown())
    if args.out:
        Path(args.out).write_text(json.dumps(result.to_dict(), indent=1, default=float))
    return 0


def cmd_infer(args) -> int:
    import numpy as np

    from cogaze.data import load_image_file
    from cogaze.infer import Predictor

    predictor = Predictor.from_checkpoint(args.checkpoint, device=args.device)
    image = load_image_file(args.image)
    pred = predictor.predict(image, view_position=args.view, context=args.context)
    out = {
        "probabilities": pred.probabilities,
        "findings": pred.findings,
        "attention_shape": list(pred.attention.shape),
        "embedding_dim": int(pred.embedding.shape[0]),
    }
    if args.out:
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        np.save(out_dir / "attention.npy", pred.attention)
        np.save(out_dir / "embedding.npy", pred.embedding)
        (out_dir / "prediction.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return 0


def cmd_reproduce(args) -> int:
    from cogaze.config import load_config
    from cogaze.reproduce import reproduce, results_table

    config = load_config(args.config)
    summary = reproduce(
        config,
        args.data,
        args.out,
        downstream=args.downstream,
        pretrain_epochs=args.pretrain_epochs,
        finetune_epochs=args.finetune_epochs,
        downstream_epochs=args.downstream_epochs,
        labeler=load_labeler(args.labeler) if args.labeler else None,
        seed=args.seed,
        progress=not args.no_progress,
    )
    print(results_table(summary))
    return 0


def cmd_downstream(args) -> int:
    from cogaze.downstream import open_downstream, run_protocol, split_by_patient
    from cogaze.infer import Predictor

    encoder = Predictor.from_checkpoint(args.checkpoint).model
    data = open_downstream(args.data)
    split = split_by_patient(
        data, val_fraction=args.val_fraction, test_fraction=args.test_fraction, seed=args.seed
    )
    rows = [
        run_protocol(encoder, data, split, protocol=p, fraction=f, epochs=args.epochs, seed=args.seed)
        for p in args.protocol
        for f in args.fractions
    ]
    print("| data set | protocol | fraction | n train | best epoch | metric | validation | test |")
    print("|---|---|---:|---:|---:|---|---:|---:|")
    for r in rows:
        print(f"| {r['dataset']} | {r['protocol']} | {r['fraction']:g} | {r['n_train']} | {r['best_epoch']} | "
              f"{r['metric']} | {r['val']:.4f} | {r['test']:.4f} |")  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cogaze", description="CoGaze: train, evaluate, infer")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model")
    t.add_argument("--config", default="tiny", help="preset name (tiny, base-offline, paper) or JSON path")
    _add_data(t, "phantoms:160")
    t.add_argument("--out", default="runs/cogaze", help="run folder (checkpoint.pt, metrics.jsonl)")
    t.add_argument("--max-steps", type=int, default=None)
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if present")
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--grad-accum", type=int, default=None)
    t.add_argument("--no-gaze", action="store_true", help="train without the gaze loss")
    t.add_argument("--no-context", action="store_true", help="ignore clinical context")
    t.add_argument("--device", default=None)
    t.add_argument("--no-progress", action="store_true")
    t.add_argument("--stage", choices=["joint", "pretrain", "finetune"], default=None, help="train.stage")
    t.add_argument(
        "--init-from", default=None, help="checkpoint to start from (finetune: the pretraining best.pt)"
    )
    t.add_argument("--val-data", default=None, help="validation data spec (default: --data's 'val' split)")
    t.add_argument("--val-split", default="val", help="split of the validation data")
    t.add_argument("--select-metric", default=None, help="train.select_metric, e.g. val_loss or val_bleu4")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a checkpoint")
    e.add_argument("--checkpoint", required=True, help="checkpoint file or run folder")
    _add_data(e, "phantoms:64")
    e.add_argument("--batch-size", type=int, default=16)
    e.add_argument(
        "--max-generate",
        type=int,
        default=None,
        help="generate reports for the first N studies (default: all)",
    )
    e.add_argument(
        "--labeler",
        default=None,
        help="MODULE:FUNCTION, a report labeler (text -> 14 CheXpert label states) for label F1 of the "
        "generated reports",
    )
    e.add_argument("--no-generate", action="store_true")
    e.add_argument("--out", default=None, help="write the metrics as JSON here")
    e.add_argument("--device", default="cpu")
    e.set_defaults(func=cmd_evaluate, seed=1)

    r = sub.add_parser(
        "reproduce", help="pretrain, select, fine-tune, evaluate, downstream: the paper's table"
    )
    r.add_argument("--config", default="tiny", help="preset name or JSON path")
    r.add_argument(
        "--data", default="phantoms:64", help="phantoms:N | export:PATH | mimic:... | reference:..."
    )
    r.add_argument("--downstream", action="append", default=None,
                   help="nih:CSV:IMAGES[:TEST_LIST] | rsna:CSV:IMAGES | siim:CSV:IMAGES | hannover:FOLDER (repeat)")  # fmt: skip
    r.add_argument("--out", default="runs/reproduce")
    r.add_argument("--pretrain-epochs", type=int, default=2)
    r.add_argument("--finetune-epochs", type=int, default=1)
    r.add_argument("--downstream-epochs", type=int, default=2)
    r.add_argument("--labeler", default=None, help="MODULE:FUNCTION report labeler for CE F1")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=cmd_reproduce)

    d = sub.add_parser(
        "downstream", help="linear probe / fine-tuning / segmentation on a downstream data set"
    )
    d.add_argument("--checkpoint", required=True, help="a pretrained checkpoint (e.g. runs/pre/best.pt)")
    d.add_argument(
        "--data",
        required=True,
        help="nih:CSV:IMAGES[:TEST_LIST] | rsna:CSV:IMAGES | siim:CSV:IMAGES | hannover:DIR",
    )
    d.add_argument(
        "--protocol", nargs="+", default=["linear", "finetune"], choices=["linear", "finetune", "segment"]
    )
    d.add_argument("--fractions", nargs="+", type=float, default=[0.01, 0.1, 1.0])
    d.add_argument("--epochs", type=int, default=10)
    d.add_argument("--val-fraction", type=float, default=0.1, help="patients for the validation split")
    d.add_argument("--test-fraction", type=float, default=0.2, help="patients for test (without a test list)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--out", default=None, help="write the rows as JSON here")
    d.set_defaults(func=cmd_downstream)

    i = sub.add_parser("infer", help="predict one image")
    i.add_argument("--checkpoint", required=True)
    i.add_argument("--image", required=True, help="PNG/JPEG/.npy grayscale image")
    i.add_argument("--view", default="PA")
    i.add_argument("--context", default="")
    i.add_argument("--out", default=None, help="folder for prediction.json, attention.npy, embedding.npy")
    i.add_argument("--device", default="cpu")
    i.set_defaults(func=cmd_infer)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CogazeError as exc:
        print(f"cogaze: error: {exc}", file=sys.stderr)
        return 2

"""The paper's pipeline end to end: pretraining, model selection on validation, report fine-tuning,
evaluation on the test split, the downstream protocols, and one table laid out like the paper's.

``python -m cogaze reproduce --data phantoms:N`` runs it on SYNTHETIC phantoms (a smoke test of the whole
pipeline, not a result); with ``--data reference:IMAGES:ANNOTATION.json:GAZE`` (or ``export:``/``mimic:``)
and ``--downstream nih:... --downstream rsna:... --downstream siim:...`` it is the paper's protocol. The
paper's own figures are printed beside ours for comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

from cogaze.config import CogazeConfig

# The paper's headline figures (MIMIC-CXR report generation; downstream classification at 100 % data).
PAPER = {
    "bleu4": 0.175,
    "label_micro_f1": 0.525,
    "nih auroc": 86.1,
    "rsna f1": 84.8,
    "siim f1": 97.4,
}
FRACTIONS = (0.01, 0.1, 1.0)


def _splits(spec: str, size: int, seed: int):
    from cogaze.data import PhantomDataset, open_dataset

    if spec.startswith("phantoms:"):
        n = int(spec.split(":", 1)[1] or 64)
        n_eval = max(8, n // 5)
        return (PhantomDataset(n, size=size, seed=seed), PhantomDataset(n_eval, size=size, seed=seed + 1),
                PhantomDataset(n_eval, size=size, seed=seed + 2))  # fmt: skip
    return tuple(open_dataset(spec, split=s, size=size, seed=seed) for s in ("train", "val", "test"))


def reproduce(
    config: CogazeConfig,
    data: str,
    out_dir: str | Path,
    *,
    downstream: list[str] | None = None,
    pretrain_epochs: int = 2,
    finetune_epochs: int = 1,
    downstream_epochs: int = 2,
    fractions: tuple[float, ...] = FRACTIONS,
    labeler=None,
    seed: int = 0,
    progress: bool = False,
) -> dict:
    """Run the pipeline; writes ``pretrain/``, ``finetune/``, ``results.json`` and ``results.md`` in ``out_dir``."""
    from cogaze.downstream import open_downstream, phantom_set, run_protocol, split_by_patient
    from cogaze.evaluate import evaluate
    from cogaze.infer import Predictor
    from cogaze.train import train

    out = Path(out_dir)
    train_set, val_set, test_set = _splits(data, config.vision.image_size, seed)
    pre_cfg = config.replace(train={"stage": "pretrain", "select_metric": "val_loss"})
    pre = train(pre_cfg, train_set, out_dir=out / "pretrain", epochs=pretrain_epochs, val_dataset=val_set,
                progress=progress)  # fmt: skip
    fine_cfg = config.replace(train={"stage": "finetune", "select_metric": "val_bleu4"})
    fine = train(fine_cfg, train_set, out_dir=out / "finetune", epochs=finetune_epochs, val_dataset=val_set,
                 init_from=pre.best, progress=progress)  # fmt: skip
    model = Predictor.from_checkpoint(fine.best or fine.checkpoint).model
    result = evaluate(model, test_set, labeler=labeler)
    pretrained = Predictor.from_checkpoint(pre.best).model  # downstream starts from the pretrained encoder
    sets = [open_downstream(s) for s in downstream or []]
    if not sets and data.startswith("phantoms:"):
        sets = [phantom_set(max(40, len(train_set) // 2), size=config.vision.image_size, seed=seed + 3)]
    rows = []
    for ds in sets:
        split = split_by_patient(ds, seed=seed)
        protocols = ["linear", "finetune"] + (["segment"] if ds.has_masks else [])
        for protocol in protocols:
            for fraction in fractions:
                rows.append(run_protocol(pretrained, ds, split, protocol=protocol, fraction=fraction,
                                         epochs=downstream_epochs, seed=seed))  # fmt: skip
    summary = {
        "data": data,
        "synthetic": data.startswith("phantoms:"),
        "pretrain": {"best_val_loss": pre.best_value, "steps": pre.steps},
        "finetune": {"best_val_bleu4": fine.best_value, "steps": fine.steps},
        "report_generation": {**result.generation, "n_generated": result.n_generated},
        "classification": {"head_macro_auroc": result.macro("head"), "zero_shot_macro_auroc": result.macro()},
        "retrieval": result.retrieval,
        "downstream": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(summary, indent=1, default=float))
    (out / "results.md").write_text(results_table(summary))
    return summary


def _f(v, scale: float = 1.0) -> str:
    return "n/a" if v is None else f"{v * scale:.3f}" if scale == 1.0 else f"{v * scale:.1f}"


def results_table(summary: dict) -> str:
    """The paper-style tables: report generation (Table: MIMIC-CXR), then downstream by data fraction."""
    g = summary["report_generation"]
    note = " (SYNTHETIC phantoms: a pipeline check, not comparable)" if summary["synthetic"] else ""
    lines = [
        f"# CoGaze reproduction on {summary['data']}{note}",
        "",
        "| Report generation | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | METEOR | ROUGE-L | CIDEr-D | CE micro-F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| ours | {_f(g.get('bleu1'))} | {_f(g.get('bleu2'))} | {_f(g.get('bleu3'))} | {_f(g.get('bleu4'))} | "
        f"n/a (Java) | {_f(g.get('rouge_l'))} | {_f(g.get('cider_d'))} | {_f(g.get('label_micro_f1'))} |",
        f"| paper (MIMIC-CXR) | | | | {PAPER['bleu4']:.3f} | | | | {PAPER['label_micro_f1']:.3f} |",
        "",
        "| Downstream | protocol | metric | 1% | 10% | 100% | paper (100%) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    keyed: dict[tuple[str, str, str], dict[float, float]] = {}
    for r in summary["downstream"]:
        keyed.setdefault((r["dataset"], r["protocol"], r["metric"]), {})[r["fraction"]] = r["test"]
    for (ds, protocol, metric), by_fraction in keyed.items():
        cells = [_f(by_fraction.get(f), 100.0) for f in FRACTIONS]
        paper = PAPER.get(f"{ds} {metric}")
        lines.append(f"| {ds} | {protocol} | {metric} | {' | '.join(cells)} | {paper if paper else ''} |")
    lines += ["", f"Classification on the test split: head macro AUROC {_f(summary['classification']['head_macro_auroc'])}, "
              f"zero-shot {_f(summary['classification']['zero_shot_macro_auroc'])}; retrieval i2t P@1 "
              f"{_f(summary['retrieval'].get('i2t_p@1'))} (strict, same study)."]  # fmt: skip
    return "\n".join(lines) + "\n"

"""Evaluation of CoGaze models: metrics and protocols (apart from the model code)."""

from cogaze.evaluate.metrics import (
    auroc,
    bleu,
    cider_d,
    f1_score,
    macro_f1,
    precision_at_k,
    rouge_l,
    tokenize_report,
)
from cogaze.evaluate.prompts import prompt_pairs
from cogaze.evaluate.run import EvaluationResult, evaluate, retrieval_precision

__all__ = [
    "evaluate",
    "EvaluationResult",
    "auroc",
    "f1_score",
    "macro_f1",
    "retrieval_precision",
    "precision_at_k",
    "bleu",
    "rouge_l",
    "cider_d",
    "tokenize_report",
    "prompt_pairs",
]

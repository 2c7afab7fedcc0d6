"""Reads for the learning API: a loop's learning curve, flat tables for CSV downloads."""

from __future__ import annotations

import csv
import io

from readingroom.learning.models import LearningLoop, LearningRound


def loop_curve(*, loop: LearningLoop) -> dict:
    """Held-out metric of each finished round's retrained model against the number of reads."""
    points = []
    for rnd in (
        loop.rounds.filter(status=LearningRound.Status.DONE).select_related("evaluation").order_by("number")
    ):
        evaluation = rnd.evaluation
        points.append({
            "round": rnd.number, "reads": rnd.reads_at_end, "heldout_value": rnd.heldout_value,
            "metric": evaluation.metric if evaluation else None, "promoted": bool(evaluation and evaluation.promoted),
            "model_version": rnd.model_after_id,
        })  # fmt: skip
    return {"loop": loop.pk, "stopped_reason": loop.stopped_reason, "points": points}


def learning_options() -> dict[str, list[str]]:
    """The names a loop or a promotion may use: registered scoring methods and strategies, packaged cogaze
    presets, and the held-out metrics a promotion compares."""
    from cogaze.config import available_presets
    from readingroom.learning.scoring import SCORING_METHODS
    from readingroom.learning.strategies import STRATEGIES
    from readingroom.modeling.registry import PROMOTION_METRICS

    return {
        "scoring": sorted(SCORING_METHODS),
        "strategies": sorted(STRATEGIES),
        "configs": available_presets(),
        "metrics": list(PROMOTION_METRICS),
    }


def rows_csv(rows: list[dict], columns: list[str]) -> str:
    """``rows`` as CSV with a header; nested values (lists, dicts) as JSON-ish text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) for c in columns})
    return out.getvalue()

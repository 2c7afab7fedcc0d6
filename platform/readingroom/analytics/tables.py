"""Agreement, accuracy, MRMC and arm-comparison tables of a reader study (pure: rows of reads in).

A read is a dict with ``reader``, ``arm``, ``arm_mode``, ``case``, ``labels`` (observation -> present/absent/
uncertain/not_mentioned), ``model`` (observation -> probability, or None), ``truth`` (the curated label of
the case in the frozen dataset version, observation -> value) and its measures (``reading_time_s``, ...).

Conventions (chosen here, written into the data dictionary too):

- a *call* is positive when the label is ``present`` (``uncertain`` and ``not_mentioned`` count as negative);
  the model calls positive at probability >= 0.5;
- a reader's *score* for ROC analysis is ordinal: present 1, uncertain 0.5, absent or not mentioned 0;
- the reference standard is positive for ``present``, negative for ``absent`` or ``not_mentioned``; an
  ``uncertain`` or missing reference leaves that (case, observation) out of accuracy figures;
- Cohen's kappa compares binary calls over every (case, observation) of an arm that both raters have;
  Fleiss' kappa compares the readers' four-valued labels per observation over the cases all of them read;
- accuracy is pooled over observations, and its bootstrap resamples whole cases (a case's observations
  stay together);
- the MRMC comparison (Obuchowski-Rockette, Hillis df) runs per observation, with the reader's ordinal
  score, on the cases that every reader read in every arm and whose reference is known; an observation
  without at least two positive and two negative cases is left out (its row says so). A last row,
  ``(pooled items)``, runs it over every (case, observation) item as if the items were cases: it uses all
  the data but ignores the correlation of a case's observations, so its interval is too narrow; the
  per-observation rows are the primary analysis.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np

from .accuracy import auroc, bootstrap, sensitivity, specificity
from .agreement import cohen_kappa, fleiss_kappa, fleiss_table
from .mrmc import obuchowski_rockette
from .paired import paired_difference

SCORE = {"present": 1.0, "uncertain": 0.5, "absent": 0.0, "not_mentioned": 0.0}
TRUTH = {"present": 1, "absent": 0, "not_mentioned": 0}
MODEL_THRESHOLD = 0.5
MODEL = "model"
REFERENCE = "reference"
RESAMPLES = 1000


def _nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _call(value: str | None) -> int | None:
    return None if value is None else int(value == "present")


def _model_call(p: float | None) -> int | None:
    return None if p is None else int(p >= MODEL_THRESHOLD)


def observations_of(reads: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for r in reads:
        for name in r["truth"] or {}:
            seen.setdefault(name)
        for name in r["labels"]:
            seen.setdefault(name)
    return list(seen)


def _calls_by_rater(reads: list[dict], arm: str) -> dict[str, dict[tuple, int]]:
    """rater -> {(case, observation): binary call}, with the model and the reference as raters."""
    out: dict[str, dict[tuple, int]] = defaultdict(dict)
    for r in (r for r in reads if r["arm"] == arm):
        for obs, value in r["labels"].items():
            out[r["reader"]][(r["case"], obs)] = _call(value)
        for obs, p in (r["model"] or {}).items():
            out[MODEL][(r["case"], obs)] = _model_call(p)
        for obs, value in (r["truth"] or {}).items():
            if value in TRUTH:
                out[REFERENCE][(r["case"], obs)] = TRUTH[value]
    return out


def arms_of(reads: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["arm"] for r in reads))


def kappa_table(reads: list[dict]) -> list[dict]:
    """Cohen's kappa of every pair of raters (readers, the model, the reference standard) per arm."""
    rows = []
    for arm in arms_of(reads):
        calls = _calls_by_rater(reads, arm)
        readers = sorted(k for k in calls if k not in (MODEL, REFERENCE))
        raters = readers + [k for k in (MODEL, REFERENCE) if k in calls]
        for a, b in itertools.combinations(raters, 2):
            if a in (MODEL, REFERENCE) and b in (MODEL, REFERENCE):
                kind = "model_vs_reference"
            else:
                kind = {MODEL: "reader_vs_model", REFERENCE: "reader_vs_reference"}.get(b, "reader_pair")
            keys = sorted(set(calls[a]) & set(calls[b]))
            kappa = (
                cohen_kappa([calls[a][k] for k in keys], [calls[b][k] for k in keys], categories=[0, 1])
                if keys
                else math.nan
            )
            rows.append({"arm": arm, "kind": kind, "rater_a": a, "rater_b": b, "n_items": len(keys),
                         "kappa": _nan(kappa)})  # fmt: skip
    return rows


def fleiss_table_rows(reads: list[dict]) -> list[dict]:
    """Fleiss' kappa of the readers' labels per arm and observation (cases read by every reader of the arm)."""
    rows = []
    for arm in arms_of(reads):
        arm_reads = [r for r in reads if r["arm"] == arm]
        readers = sorted({r["reader"] for r in arm_reads})
        by_case: dict = defaultdict(dict)
        for r in arm_reads:
            by_case[r["case"]][r["reader"]] = r["labels"]
        cases = sorted(c for c, rs in by_case.items() if len(rs) == len(readers))
        for obs in observations_of(arm_reads):
            ratings = [[by_case[c][rd].get(obs, "not_mentioned") for rd in readers] for c in cases]
            kappa = math.nan
            if len(readers) >= 2 and cases:
                table = fleiss_table(ratings, categories=list(SCORE))
                kappa = fleiss_kappa(table)
            rows.append({"arm": arm, "observation": obs, "n_cases": len(cases), "n_readers": len(readers),
                         "fleiss_kappa": _nan(kappa)})  # fmt: skip
    return rows


def _items(reads: list[dict], arm: str, rater: str) -> dict:
    """case -> list of (truth, score, call) over its observations with a known reference."""
    out: dict = defaultdict(list)
    for r in reads:
        if r["arm"] != arm or (rater != MODEL and r["reader"] != rater):
            continue
        if rater == MODEL and r["case"] in out:
            continue  # the model's output is one per case
        for obs, value in (r["truth"] or {}).items():
            if value not in TRUTH:
                continue
            if rater == MODEL:
                p = (r["model"] or {}).get(obs)
                if p is None:
                    continue
                out[r["case"]].append((TRUTH[value], float(p), _model_call(p)))
            else:
                label = r["labels"].get(obs, "not_mentioned")
                out[r["case"]].append((TRUTH[value], SCORE.get(label, 0.0), _call(label)))
    return out


def accuracy_table(reads: list[dict], *, resamples: int = RESAMPLES, seed: int = 0) -> list[dict]:
    """Sensitivity, specificity and AUROC of each reader and of the model per arm, bootstrap CIs over cases."""
    rows = []
    for arm in arms_of(reads):
        raters = sorted({r["reader"] for r in reads if r["arm"] == arm})
        if any(r["model"] for r in reads if r["arm"] == arm):
            raters.append(MODEL)
        for rater in raters:
            items = _items(reads, arm, rater)
            cases = sorted(items)
            if not cases:
                continue

            def pooled(idx, column, _items=items, _cases=cases):
                rows_ = [it for i in idx for it in _items[_cases[i]]]
                return np.array([x[0] for x in rows_]), np.array([x[column] for x in rows_])

            row = {"arm": arm, "rater": rater, "n_cases": len(cases),
                   "n_items": sum(len(v) for v in items.values())}  # fmt: skip
            for name, fn, column in (("sensitivity", sensitivity, 2), ("specificity", specificity, 2),
                                     ("auroc", auroc, 1)):  # fmt: skip
                est = bootstrap(lambda idx, f=fn, c=column: _safe(f, *pooled(idx, c)), len(cases),
                                resamples=resamples, seed=seed)  # fmt: skip
                row.update(
                    {
                        name: _nan(est.value),
                        f"{name}_ci_low": _nan(est.low),
                        f"{name}_ci_high": _nan(est.high),
                    }
                )
            rows.append(row)
    return rows


def _safe(fn, truth, score) -> float:
    if truth.size == 0:
        return math.nan
    try:
        return float(fn(truth, score))
    except ValueError:
        return math.nan


def mrmc_table(reads: list[dict], *, level: float = 0.95) -> list[dict]:
    """Obuchowski-Rockette comparison of the arms per observation (AUROC of the ordinal reader scores), and
    over the pooled (case, observation) items."""
    arms = arms_of(reads)
    readers = sorted({r["reader"] for r in reads})
    if len(arms) < 2 or len(readers) < 2:
        return []
    cell = {(r["arm"], r["reader"], r["case"]): r for r in reads}
    complete = {r["case"] for r in reads if all((a, rd, r["case"]) in cell for a in arms for rd in readers)}
    cases = sorted(complete)

    def truth(case, obs):
        return (cell[(arms[0], readers[0], case)]["truth"] or {}).get(obs)

    rows, pooled = [], []
    for obs in observations_of(reads):
        units = [(c, obs) for c in cases if truth(c, obs) in TRUTH]
        pooled.extend(units)
        rows.extend(_mrmc_rows(obs, units, arms, readers, cell, truth, level))
    rows.extend(_mrmc_rows(POOLED, pooled, arms, readers, cell, truth, level))
    return rows


POOLED = "(pooled items)"


def _mrmc_rows(name, units, arms, readers, cell, truth, level) -> list[dict]:
    y = np.array([TRUTH[truth(c, o)] for c, o in units], dtype=int)
    row = {"observation": name, "arms": " vs ".join(arms), "n_readers": len(readers), "n_cases": len(units)}
    if y.size == 0 or y.sum() < 2 or (y.size - y.sum()) < 2:
        return [{**row, "note": "left out: fewer than two positive or two negative cases"}]
    scores = np.array([[[SCORE.get(cell[(a, rd, c)]["labels"].get(o, "not_mentioned"), 0.0) for c, o in units]
                        for rd in readers] for a in arms])  # fmt: skip
    res = obuchowski_rockette(scores, y, level=level)
    rows = []
    for (
        d
    ) in res.differences:  # the module's estimate is a - b; the table reports b - a, as arm comparisons do
        i, j = d["conditions"]
        rows.append({**row, "arm_a": arms[i], "arm_b": arms[j], "auroc_a": float(res.condition_means[i]),
                     "auroc_b": float(res.condition_means[j]), "difference": -d["estimate"], "se": d["se"],
                     "ci_low": -d["ci_high"], "ci_high": -d["ci_low"], "df": res.ddf, "p_value": d["p_value"],
                     "note": ""})  # fmt: skip
    return rows


ARM_MEASURES = ("reading_time_s", "accuracy", "fixation_count", "scanpath_length_px", "lung_coverage",
                "finding_dwell_ms", "finding_ttff_ms")  # fmt: skip


def read_accuracy(read: dict) -> float:
    """Fraction of a read's observations with a known reference whose call matches it (NaN if none)."""
    hits = [int(_call(read["labels"].get(o, "not_mentioned")) == TRUTH[v]) for o, v in (read["truth"] or {}).items()
            if v in TRUTH]  # fmt: skip
    return float(np.mean(hits)) if hits else math.nan


def arm_comparison_table(reads: list[dict], *, resamples: int = RESAMPLES) -> list[dict]:
    """Paired differences (second arm minus first, per reader and case) of time, accuracy and gaze measures."""
    arms = arms_of(reads)
    rows = []
    cell = {(r["arm"], r["reader"], r["case"]): r for r in reads}
    for a, b in itertools.combinations(arms, 2):
        pairs = sorted({(rd, c) for (arm, rd, c) in cell if arm == a and (b, rd, c) in cell})
        for measure in ARM_MEASURES:
            xa = np.array([_measure(cell[(a, *p)], measure) for p in pairs], dtype=float)
            xb = np.array([_measure(cell[(b, *p)], measure) for p in pairs], dtype=float)
            row = {"arm_a": a, "arm_b": b, "measure": measure}
            try:
                d = paired_difference(xa, xb, resamples=resamples)
            except ValueError as exc:
                rows.append(
                    {**row, "n_pairs": int((np.isfinite(xa) & np.isfinite(xb)).sum()), "note": str(exc)}
                )
                continue
            rows.append({**row, "n_pairs": d.n, "mean_a": d.mean_a, "mean_b": d.mean_b, "difference": d.estimate,
                         "ci_low": d.ci_low, "ci_high": d.ci_high, "p_value": d.p_value, "boot_ci_low": d.boot_low,
                         "boot_ci_high": d.boot_high, "note": ""})  # fmt: skip
    return rows


def _measure(read: dict, name: str) -> float:
    if name == "accuracy":
        return read_accuracy(read)
    value = read.get(name)
    return math.nan if value is None else float(value)


SUMMARY_MEASURES = ("reading_time_s", "fixation_count", "scanpath_length_px", "lung_coverage", "finding_ttff_ms",
                    "finding_dwell_ms", "calibration_accuracy_deg", "data_loss_pct")  # fmt: skip


def summary_table(reads: list[dict], by: str) -> list[dict]:
    """Mean of each read measure (and read accuracy) per ``by`` (``reader``, ``arm`` or ``case``) and arm.

    NaN and missing values are left out of a mean; ``n_reads`` counts the reads of the group.
    """
    if by not in ("reader", "arm", "case"):
        raise ValueError(f"summary_table: by must be reader, arm or case, got {by!r}")
    groups: dict = defaultdict(list)
    for r in reads:
        groups[(r[by],) if by == "arm" else (r[by], r["arm"])].append(r)
    rows = []
    for key, rs in groups.items():
        row = {by: key[0]} if by == "arm" else {by: key[0], "arm": key[1]}
        row["n_reads"] = len(rs)
        for name in (*SUMMARY_MEASURES, "accuracy"):
            values = np.array([_measure(r, name) for r in rs], dtype=float)
            values = values[np.isfinite(values)]
            row[name] = float(values.mean()) if values.size else None
        rows.append(row)
    return rows

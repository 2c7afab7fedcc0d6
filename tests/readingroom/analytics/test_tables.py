"""Analytics tables on a small fixed example, with values computed by hand (see each test), and the per-read
gaze measures on hand-placed fixations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from gaze_capture.metrics import ROI
from readingroom.analytics import tables
from readingroom.analytics.measures import ReadGaze, gaze_measures
from readingroom.analytics.regions import attention_region, lung_fields

TRUTH = {1: "present", 2: "present", 3: "absent", 4: "absent"}
LABELS = {  # reader -> case -> label of the one observation
    "A": {1: "present", 2: "present", 3: "absent", 4: "present"},
    "B": {1: "present", 2: "absent", 3: "absent", 4: "absent"},
    "C": {1: "present", 2: "present", 3: "uncertain", 4: "absent"},
}
MODEL = {1: 0.9, 2: 0.4, 3: 0.3, 4: 0.6}


def _reads(arm="Unaided", labels=LABELS, extra=None):
    return [{"reader": rd, "arm": arm, "arm_mode": "unaided", "case": c, "labels": {"Edema": v},
             "truth": {"Edema": TRUTH[c]}, "model": {"Edema": MODEL[c]}, **(extra or {})}
            for rd, by_case in labels.items() for c, v in by_case.items()]  # fmt: skip


def _kappa(rows, a, b):
    return next(r["kappa"] for r in rows if {r["rater_a"], r["rater_b"]} == {a, b})


def test_cohen_kappa_by_hand():
    rows = tables.kappa_table(_reads())
    # A = 1101, B = 1000: agreement 1/2, chance 3/4*1/4 + 1/4*3/4 = 3/8, kappa (1/2 - 3/8) / (5/8) = 0.2
    assert _kappa(rows, "A", "B") == pytest.approx(0.2)
    # A = 1101 vs reference 1100: agreement 3/4, chance 3/8 + 1/8 = 1/2, kappa 0.5
    assert _kappa(rows, "A", "reference") == pytest.approx(0.5)
    # model calls (p >= 0.5) 1001 vs reference 1100: agreement 1/2, chance 1/2, kappa 0
    assert _kappa(rows, "model", "reference") == pytest.approx(0.0)
    kinds = {(r["rater_a"], r["rater_b"]): r["kind"] for r in rows}
    assert kinds[("A", "B")] == "reader_pair"
    assert kinds[("A", "model")] == "reader_vs_model"
    assert kinds[("C", "reference")] == "reader_vs_reference"


def test_fleiss_kappa_by_hand():
    (row,) = tables.fleiss_table_rows(_reads())
    # counts (present, absent, uncertain, not mentioned) per case: 3000, 2100, 0210, 1200 -> P_i 1, 1/3, 1/3, 1/3,
    # P = 1/2; p_j = 6/12, 5/12, 1/12, 0 -> Pe = 62/144; kappa = (72 - 62) / (144 - 62) = 10/82
    assert row["fleiss_kappa"] == pytest.approx(10 / 82)
    assert (row["n_cases"], row["n_readers"]) == (4, 3)


def test_accuracy_by_hand_with_intervals():
    rows = {r["rater"]: r for r in tables.accuracy_table(_reads(), resamples=400)}
    # A scores 1,1 | 0,1: two wins and two ties of four pairs -> 0.75; sensitivity 2/2, specificity 1/2
    assert rows["A"]["auroc"] == pytest.approx(0.75)
    assert (rows["A"]["sensitivity"], rows["A"]["specificity"]) == (1.0, 0.5)
    # C (present 1, uncertain 0.5, absent 0) separates the classes: AUROC 1 in every resample with both classes
    assert (rows["C"]["auroc"], rows["C"]["auroc_ci_low"], rows["C"]["auroc_ci_high"]) == (1.0, 1.0, 1.0)
    # model 0.9, 0.4 | 0.3, 0.6: three of four pairs ordered -> 0.75
    assert rows["model"]["auroc"] == pytest.approx(0.75)
    assert rows["A"]["auroc_ci_low"] <= 0.75 <= rows["A"]["auroc_ci_high"]


def test_bootstrap_interval_matches_sklearn_on_the_same_resamples():
    rng = np.random.default_rng(3)
    truth = {c: ("present" if rng.random() < 0.4 else "absent") for c in range(30)}
    model = {
        c: float(np.clip((0.7 if v == "present" else 0.35) + rng.normal(0, 0.2), 0, 1))
        for c, v in truth.items()
    }
    reads = [{"reader": "A", "arm": "x", "case": c, "labels": {"Edema": "absent"}, "truth": {"Edema": truth[c]},
              "model": {"Edema": model[c]}} for c in truth]  # fmt: skip
    row = next(r for r in tables.accuracy_table(reads, resamples=300, seed=5) if r["rater"] == "model")
    y = np.array([truth[c] == "present" for c in sorted(truth)], dtype=int)
    p = np.array([model[c] for c in sorted(truth)])
    draws_rng = np.random.default_rng(5)
    draws = []
    for _ in range(300):
        idx = draws_rng.integers(0, y.size, y.size)
        if 0 < y[idx].sum() < y.size:
            draws.append(roc_auc_score(y[idx], p[idx]))
    assert row["auroc"] == pytest.approx(roc_auc_score(y, p))
    assert row["auroc_ci_low"] == pytest.approx(np.percentile(draws, 2.5))
    assert row["auroc_ci_high"] == pytest.approx(np.percentile(draws, 97.5))


def test_arm_comparison_pairs_reads_of_the_same_reader_and_case():
    slow = _reads("Unaided", extra={"reading_time_s": 30.0})
    fast = _reads("AI-assisted", labels={rd: dict(TRUTH) for rd in LABELS}, extra={"reading_time_s": 20.0})
    for k, r in enumerate(fast):
        r["reading_time_s"] = 20.0 + k % 2  # differences -10 and -9 alternate: mean -9.5
    rows = {r["measure"]: r for r in tables.arm_comparison_table(slow + fast, resamples=200)}
    assert rows["reading_time_s"]["n_pairs"] == 12
    assert rows["reading_time_s"]["difference"] == pytest.approx(-9.5)
    # accuracy per read: A 3/4, B 3/4, C 4/4 unaided; every read right with the AI -> mean difference 1/6
    assert rows["accuracy"]["difference"] == pytest.approx((0.25 + 0.25 + 0) / 3)
    assert "needs at least two" in rows["lung_coverage"]["note"]


def test_mrmc_runs_per_observation_and_pooled():
    reads = _reads("Unaided") + _reads("AI-assisted", labels={rd: dict(TRUTH) for rd in LABELS})
    rows = tables.mrmc_table(reads)
    assert [r["observation"] for r in rows] == ["Edema", "(pooled items)"]
    edema = rows[0]
    assert edema["auroc_b"] == pytest.approx(1.0)  # every reader right with the AI
    # unaided AUROCs: A 0.75, B 0.75 (1,0 | 0,0: one win, one tie, two wins of four -> 3/4), C 1
    assert edema["auroc_a"] == pytest.approx((0.75 + 0.75 + 1.0) / 3)
    assert edema["difference"] == pytest.approx(
        edema["auroc_b"] - edema["auroc_a"]
    )  # AI-assisted minus unaided
    assert edema["ci_low"] <= edema["difference"] <= edema["ci_high"]


def test_summary_table_groups():
    reads = _reads(extra={"reading_time_s": 10.0})
    by_reader = {r["reader"]: r for r in tables.summary_table(reads, "reader")}
    assert by_reader["A"]["n_reads"] == 4 and by_reader["A"]["accuracy"] == pytest.approx(0.75)
    (by_arm,) = tables.summary_table(reads, "arm")
    assert by_arm["reading_time_s"] == 10.0 and by_arm["lung_coverage"] is None
    with pytest.raises(ValueError, match="by must be"):
        tables.summary_table(reads, "observation")


def test_gaze_measures_by_hand():
    # image onset at 0; fixations at 100-300 ms (in the box), 400-700 (outside), 900-1000 (in the box)
    read = ReadGaze(onset_ms=np.array([100.0, 400.0, 900.0]), duration_ms=np.array([200.0, 300.0, 100.0]),
                    x=np.array([10.0, 60.0, 20.0]), y=np.array([10.0, 60.0, 20.0]), image_shape=(100, 100),
                    regions=[ROI("nodule", box=(0, 0, 30, 30))], t0_ms=0.0)  # fmt: skip
    m = gaze_measures(read)
    assert m["regions"]["nodule"] == {
        "time_to_first_fixation_ms": 100.0,
        "dwell_ms": 300.0,
        "fixation_count": 2,
    }
    assert m["fixation_count"] == 3
    assert m["scanpath_length_px"] == pytest.approx(math.hypot(50, 50) + math.hypot(40, 40))
    assert 0 < m["lung_coverage"] < 1
    empty = gaze_measures(ReadGaze(np.array([]), np.array([]), np.array([]), np.array([]), (10, 10),
                                   [ROI("nodule", box=(0, 0, 5, 5))]))  # fmt: skip
    assert (
        math.isnan(empty["regions"]["nodule"]["time_to_first_fixation_ms"]) and empty["lung_coverage"] == 0.0
    )


def test_attention_region_takes_the_top_fraction():
    attention = np.arange(100, dtype=float).reshape(10, 10)
    roi = attention_region(attention, (20, 20), top_fraction=0.1)
    assert roi.name == "attention_top10"
    assert roi.mask.sum() == 40  # the top row of cells, each 2 x 2 pixels
    assert roi.mask[19].all() and not roi.mask[17].any()
    with pytest.raises(ValueError, match="2-D"):
        attention_region(np.zeros(3), (4, 4))
    lungs = lung_fields((100, 100))
    assert lungs.mask[47, 32] and lungs.mask[47, 68] and not lungs.mask[47, 50]

"""The analytics of a seeded SYNTHETIC two-arm study: reads from the database, checked against the rows they
come from and against scikit-learn / statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from readingroom.analytics import selectors, tables
from readingroom.analytics.tables import SCORE
from readingroom.gaze.models import Fixation


@pytest.mark.django_db
def test_demo_study_reads_and_tables(demo_study, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):  # a fixed number of queries, however many reads (36 here)
        data = selectors.study_data(project_id=demo_study.pk)
    assert len(data.reads) == 6 * 3 * 2  # cases x readers x arms
    read = data.reads[0]
    assert read["region_source"] == "model_attention" and read["finding_region"] == "attention_top10"
    assert read["calibration_kind"] == "validation" and read["calibration_accuracy_deg"] is not None
    assert read["thumbnail_path"].endswith("_thumb.png")  # the heatmap grid draws the density over it
    # the reference is the frozen version's curated labels (the phantom truth), not the reads
    manifest = {i["study_id"]: i["labels"] for i in demo_study.dataset_version.manifest["items"]}
    assert all(r["truth"] == manifest[r["case"]] for r in data.reads)
    # dwell and fixation count in the finding region agree with the fixation rows flagged inside it
    for r in data.reads[:6]:
        inside = [f for f in data.fixations if f["read_id"] == r["read_id"] and f["in_finding_region"]]
        assert r["finding_dwell_ms"] == pytest.approx(sum(f["duration_ms"] for f in inside))
        assert r["finding_fixation_count"] == len(inside)
        assert r["fixation_count"] == Fixation.objects.filter(session_id=r["read_id"]).count()
        if inside:
            first = min(f["onset_ms"] for f in inside)
            assert r["finding_ttff_ms"] == pytest.approx(first - 0.0)  # the view event at 0 ms is the onset

    arm = data.reads[0]["arm"]
    arm_reads = [r for r in data.reads if r["arm"] == arm]
    by = {(r["reader"], r["case"]): r for r in arm_reads}
    readers = sorted({r["reader"] for r in arm_reads})
    cases = sorted({r["case"] for r in arm_reads})
    obs = list(data.reads[0]["truth"])
    kappa_rows = tables.kappa_table(data.reads)
    a, b = readers[:2]
    calls = [[int(by[(rd, c)]["labels"][o] == "present") for c in cases for o in obs] for rd in (a, b)]
    ours = next(r for r in kappa_rows if (r["arm"], r["rater_a"], r["rater_b"]) == (arm, a, b))
    assert ours["kappa"] == pytest.approx(cohen_kappa_score(*calls))

    fleiss_rows = {(r["arm"], r["observation"]): r for r in tables.fleiss_table_rows(data.reads)}
    for o in obs:
        ratings = np.array([[list(SCORE).index(by[(rd, c)]["labels"][o]) for rd in readers] for c in cases])
        table, _ = aggregate_raters(ratings, n_cat=len(SCORE))
        with np.errstate(invalid="ignore", divide="ignore"):  # every reader alike in one category: 0/0
            expected = fleiss_kappa(table, method="fleiss")
        got = fleiss_rows[(arm, o)]["fleiss_kappa"]
        assert (got is None and math.isnan(expected)) or got == pytest.approx(expected)

    accuracy = tables.accuracy_table(data.reads, resamples=200)
    assert {r["rater"] for r in accuracy} == {*readers, "model"}
    mrmc = tables.mrmc_table(data.reads)
    assert mrmc[-1]["observation"] == "(pooled items)" and mrmc[-1]["ci_low"] <= mrmc[-1]["difference"]
    arms = {r["measure"]: r for r in tables.arm_comparison_table(data.reads, resamples=200)}
    assert arms["reading_time_s"]["n_pairs"] == 6 * 3
    assert set(tables.ARM_MEASURES) <= set(arms)

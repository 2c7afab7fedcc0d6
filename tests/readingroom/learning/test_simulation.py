"""The simulation command and its parts on a tiny pool (tiny config, two optimizer steps per retraining)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from readingroom.learning import simulation
from readingroom.learning.report import curve_area, markdown_table, paired_against_random, summarise, verdict
from readingroom.learning.simulation import (
    SimulationSettings,
    heldout_observations,
    phantom_pool,
    simulate_arm,
)

TINY = ["--seeds", "2", "--rounds", "1", "--pool", "12", "--heldout", "8", "--initial", "4", "--per-round", "4",
        "--steps", "2"]  # fmt: skip


def test_simulation_writes_plot_table_and_curves(tmp_path):
    call_command("simulate_active_learning", "--strategy", "entropy", "random", *TINY, "--out", str(tmp_path))
    data = json.loads((tmp_path / "learning_curves.json").read_text())
    assert set(data["curves"]) == {"entropy", "random"}
    for seeds in data["curves"].values():
        assert len(seeds) == 2 and [p["reads"] for p in seeds[0]] == [4, 8]
        assert all(p["auroc"] is None or 0.0 <= p["auroc"] <= 1.0 for s in seeds for p in s)
    entropy_round = data["curves"]["entropy"][0][1]
    assert len(entropy_round["selected"]) == 4 and all(
        s.startswith("SYNTHETIC-") for s in entropy_round["selected"]
    )
    assert all(isinstance(v, float) for v in entropy_round["scores"])
    table = (tmp_path / "learning_curves.md").read_text()
    assert (
        "| entropy |" in table
        and "| random |" in table
        and "random by more than the spread over seeds" in table
    )
    assert "| entropy | 2 |" in table and "sign-flip p" in table  # the paired comparison with random
    with Image.open(tmp_path / "learning_curves.png") as png:
        assert png.format == "PNG" and png.width == 600


def test_a_later_run_of_other_seeds_joins_an_earlier_one_with_the_same_settings(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    call_command("simulate_active_learning", "--strategy", "entropy", "random", *TINY, "--out", str(first))
    later = [a if a != "2" or i != 1 else "1" for i, a in enumerate(TINY)]  # one more seed
    call_command("simulate_active_learning", "--strategy", "entropy", "random", *later, "--first-seed", "2",
                 "--also", str(first / "learning_curves.json"), "--out", str(second))  # fmt: skip
    data = json.loads((second / "learning_curves.json").read_text())
    assert [len(seeds) for seeds in data["curves"].values()] == [3, 3]
    assert "| entropy | 3 |" in (second / "learning_curves.md").read_text()
    with pytest.raises(CommandError, match="settings differ"):
        call_command("simulate_active_learning", "--strategy", "entropy", "random", *later, "--steps", "3",
                     "--also", str(first / "learning_curves.json"), "--out", str(tmp_path / "third"))  # fmt: skip
    with pytest.raises(CommandError, match="no curves of margin"):
        call_command("simulate_active_learning", "--strategy", "margin", *later,
                     "--also", str(first / "learning_curves.json"), "--out", str(tmp_path / "fourth"))  # fmt: skip


def test_paired_comparison_counts_seeds_ahead_and_gives_the_exact_sign_flip_p():
    def curve(area):
        return [{"reads": 0, "auroc": area, "seconds": 1}, {"reads": 10, "auroc": area, "seconds": 1}]

    curves = {"random": [curve(0.5)] * 4, "x": [curve(a) for a in (0.6, 0.55, 0.52, 0.45)]}
    (row,) = paired_against_random(curves)
    assert row["seeds"] == 4 and row["wins"] == 3
    assert row["diff_mean"] == pytest.approx(0.03)
    # 16 sign flips of (0.1, 0.05, 0.02, -0.05): |mean| >= 0.03 for 8 of them (the observed and its mirror among them)
    assert row["p_value"] == pytest.approx(8 / 16)
    assert paired_against_random({"x": [curve(0.6)]}) == []


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(CommandError, match="unknown arm 'best'"):
        call_command("simulate_active_learning", "--strategy", "best", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="--pool is too small"):
        call_command("simulate_active_learning", "--pool", "10", "--out", str(tmp_path))
    assert not (tmp_path / "learning_curves.md").exists()


def test_curve_area_and_verdict():
    assert curve_area([0, 10], [0.5, 0.7]) == pytest.approx(0.6)
    assert curve_area([0, 10, 20], [0.5, None, 0.7]) == pytest.approx(0.6)
    curves = {
        "entropy": [[{"reads": 0, "auroc": 0.5, "seconds": 1}, {"reads": 10, "auroc": 0.9, "seconds": 1}]] * 2,
        "random": [[{"reads": 0, "auroc": 0.5, "seconds": 1}, {"reads": 10, "auroc": v, "seconds": 1}]
                   for v in (0.6, 0.62)],
    }  # fmt: skip
    rows = summarise(curves)
    assert verdict(rows) == "Beating random by more than the spread over seeds: entropy."
    assert "0.700 ± 0.000" in markdown_table(rows)
    curves["entropy"] = curves["random"]
    assert verdict(summarise(curves)) == "No strategy beats random by more than the spread over seeds."


SMALL = SimulationSettings(pool=8, heldout=6, initial=2, per_round=2, rounds=2, steps=2)


def test_rounds_continue_from_the_previous_model_unless_cold(monkeypatch):
    starts: list = []
    original = simulation.train_model

    def recording(*args, **kwargs):
        starts.append(kwargs.get("init_from"))
        return original(*args, **kwargs)

    monkeypatch.setattr(simulation, "train_model", recording)
    pool, heldout = phantom_pool(SMALL)
    simulate_arm("random", seed=0, settings=SMALL, pool=pool, heldout=heldout)
    assert starts[0] is None and all(s is not None and s.name == "checkpoint.pt" for s in starts[1:])
    assert starts[1].parent.name == "r0" and starts[2].parent.name == "r1"
    starts.clear()
    simulate_arm("random", seed=0, settings=replace(SMALL, warm_start=False), pool=pool, heldout=heldout)
    assert starts == [None, None, None]


def test_reader_disagreement_has_no_evidence_on_unread_candidates():
    pool, heldout = phantom_pool(SMALL)
    points = simulate_arm("reader_disagreement", seed=0, settings=SMALL, pool=pool, heldout=heldout)
    assert [len(p.selected) for p in points] == [0, 2, 2]
    assert all(v is None for p in points for v in p.scores)  # nan: unread studies carry no reader answers
    outputs = simulation.pool_outputs([_Constant()], pool[:2], frozenset({pool[0].study_id}))
    assert np.array_equal(outputs[0].reader_labels, simulation.binary_labels(pool[0]), equal_nan=True)
    assert outputs[1].reader_labels is None


def test_heldout_observations_name_the_single_class_ones():
    _, heldout = phantom_pool(replace(SMALL, heldout=200))
    observations = heldout_observations(heldout)
    assert len(observations["scored"]) + len(observations["skipped"]) == 14
    assert "Fracture" in observations["skipped"] and "Pleural Effusion" in observations["scored"]


class _Constant:
    """A predictor whose every output is the same."""

    def predict(self, image, **kwargs):
        from types import SimpleNamespace

        return SimpleNamespace(probabilities={str(k): 0.5 for k in range(14)}, embedding=np.ones(4) / 2,
                               attention=None)  # fmt: skip

"""Inference API, evaluation metrics and protocols, and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cogaze.cli import main
from cogaze.data import PhantomDataset, make_phantom
from cogaze.errors import InputError
from cogaze.evaluate import auroc, bleu, cider_d, evaluate, f1_score, precision_at_k, rouge_l
from cogaze.infer import Predictor
from cogaze.labels import OBSERVATIONS, binary_targets


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    rc = main(
        [
            "train",
            "--config",
            "tiny",
            "--data",
            "phantoms:16",
            "--out",
            str(out),
            "--max-steps",
            "3",
            "--no-progress",
        ]
    )
    assert rc == 0
    return out


def test_predictor_outputs(run_dir):
    predictor = Predictor.from_checkpoint(run_dir, device="cpu")
    image = make_phantom(1, size=100, seed=9).image
    p = predictor.predict(image, view_position="AP", context="[INDICATION] cough")
    assert list(p.probabilities) == list(OBSERVATIONS)
    assert all(0.0 <= v <= 1.0 for v in p.probabilities.values())
    assert p.attention.shape == image.shape and p.attention.dtype == np.float32
    assert abs(float(p.attention.sum()) - 1.0) < 1e-4 and (p.attention >= 0).all()
    assert p.embedding.shape == (predictor.config.dim,) and abs(np.linalg.norm(p.embedding) - 1) < 1e-4
    assert isinstance(p.findings, str)
    no_ctx = predictor.predict(image, generate=False)
    assert no_ctx.findings == "" and not np.allclose(no_ctx.embedding, p.embedding)


def test_predictor_rejects_bad_images(run_dir):
    predictor = Predictor.from_checkpoint(run_dir)
    with pytest.raises(InputError, match="image: expected one grayscale channel"):
        predictor.predict(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(InputError, match=r"image: values must lie in \[0, 1\]"):
        predictor.predict(np.full((64, 64), 255.0, np.float32))
    with pytest.raises(InputError, match="image: shape"):
        predictor.predict(np.zeros((4, 64), np.float32))
    with pytest.raises(InputError, match="image: contains NaN"):
        predictor.predict(np.full((64, 64), np.nan, np.float32))
    with pytest.raises(InputError, match="context"):
        predictor.predict(np.zeros((64, 64), np.float32), context=None)


def test_metrics_known_answers():
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert auroc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5
    assert np.isnan(auroc(np.array([0.1, 0.2]), np.array([1, 1])))
    assert f1_score(np.array([1, 1, 0]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    sim = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.7]])
    rel = np.array([[True, False, False], [False, False, True]])
    assert precision_at_k(sim, rel, ks=(1, 2)) == {1: 0.5, 2: 0.5}
    refs = [["the heart is enlarged ."], ["no pleural effusion ."]]
    same = ["the heart is enlarged .", "no pleural effusion ."]
    b = bleu(same, refs)
    assert b["bleu1"] == pytest.approx(1.0) and b["bleu4"] == pytest.approx(1.0)
    assert rouge_l(same, refs) == pytest.approx(1.0)
    assert bleu(["completely different words"], [["the heart is enlarged ."]])["bleu1"] == 0.0
    assert cider_d(same, refs) > cider_d(["the heart .", "no effusion ."], refs) > 0


def everything_present(text: str) -> np.ndarray:
    """A labeler that reads every observation as present (the CLI loads it by MODULE:FUNCTION)."""
    return np.ones(len(OBSERVATIONS), np.int8)


def test_evaluate_runs_all_protocols(run_dir):
    predictor = Predictor.from_checkpoint(run_dir)
    data = PhantomDataset(6, size=64, seed=5)
    result = evaluate(predictor.model, data, batch_size=4, labeler=everything_present)
    assert result.n == 6 and set(result.zero_shot) == set(OBSERVATIONS)
    keys = {f"{d}_p@{k}" for d in ("i2t", "t2i") for k in (1, 5, 10)}
    assert set(result.retrieval) == keys | {f"{k}_label_vector" for k in keys}
    assert all(0.0 <= v <= 1.0 for v in result.retrieval.values())
    assert {"bleu1", "bleu4", "rouge_l", "cider_d"} <= set(result.generation)
    assert result.n_generated == 6  # every study by default
    # all predicted positive: micro F1 = 2 TP / (predicted + true) = 2 P / (6 * 14 + P)
    targets = np.stack([binary_targets(data[i].labels) for i in range(6)])
    p = float(targets.sum())
    assert result.generation["label_micro_f1"] == pytest.approx(2 * p / (6 * 14 + p))
    assert 0.0 <= result.localisation["attention_mass_in_mask"] <= 1.0
    assert "| Cardiomegaly |" in result.to_markdown()
    from cogaze.data import ListDataset
    from cogaze.errors import DataError

    with pytest.raises(DataError, match="no studies"):
        evaluate(predictor.model, ListDataset([]))


def test_cli_evaluate_and_infer(run_dir, tmp_path, capsys):
    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(run_dir),
                "--data",
                "phantoms:8",
                "--max-generate",
                "1",
                "--labeler",
                "tests.cogaze.test_infer_evaluate_cli:everything_present",
                "--out",
                str(tmp_path / "m.json"),
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert "zero_shot_macro_auroc" in metrics and metrics["n_generated"] == 1
    assert "label_micro_f1" in metrics["generation"]
    assert main(["evaluate", "--checkpoint", str(run_dir), "--labeler", "nowhere"]) == 2
    np.save(tmp_path / "img.npy", make_phantom(2, size=80).image)
    assert (
        main(
            [
                "infer",
                "--checkpoint",
                str(run_dir),
                "--image",
                str(tmp_path / "img.npy"),
                "--out",
                str(tmp_path / "pred"),
            ]
        )
        == 0
    )
    assert np.load(tmp_path / "pred" / "attention.npy").shape == (80, 80)
    capsys.readouterr()
    assert main(["infer", "--checkpoint", str(tmp_path / "missing"), "--image", "x.png"]) == 2
    assert "checkpoint: file not found" in capsys.readouterr().err


def test_cli_trains_on_a_platform_export_and_reports_bad_data(tmp_path, capsys):
    from cogaze.data import write_export

    samples = PhantomDataset(6, size=64, seed=3).samples
    samples[5].split = "test"
    write_export(samples, tmp_path / "export", synthetic=True)
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                f"export:{tmp_path / 'export'}",
                "--out",
                str(out),
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["steps"] == 2  # 5 train studies
    assert (
        main(["train", "--data", f"export:{tmp_path / 'nowhere'}", "--out", str(out), "--no-progress"]) == 2
    )
    assert "manifest.json: not found" in capsys.readouterr().err

"""``python -m cogaze reproduce --data phantoms:N``: the whole pipeline at tiny size, and its table."""

from __future__ import annotations

import json

from cogaze.cli import main


def test_reproduce_runs_the_pipeline_and_writes_the_paper_style_table(tmp_path, capsys):
    out = tmp_path / "rep"
    argv = ["reproduce", "--config", "tiny", "--data", "phantoms:16", "--out", str(out), "--pretrain-epochs", "1",
            "--finetune-epochs", "1", "--downstream-epochs", "1", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads((out / "results.json").read_text())
    assert (out / "pretrain" / "best.pt").is_file() and (out / "finetune" / "best.pt").is_file()
    assert summary["report_generation"]["n_generated"] == 8  # every test study
    protocols = {(r["protocol"], r["fraction"]) for r in summary["downstream"]}
    assert protocols == {(p, f) for p in ("linear", "finetune", "segment") for f in (0.01, 0.1, 1.0)}
    table = (out / "results.md").read_text()
    assert "| Report generation | BLEU-1 |" in table and "| paper (MIMIC-CXR) | | | | 0.175 |" in table
    assert "SYNTHETIC" in table and "| Downstream | protocol | metric | 1% | 10% | 100% |" in table
    assert table in capsys.readouterr().out


def test_downstream_command_on_the_shared_hannover_radiographs(tmp_path, capsys):
    from cogaze.config import load_config
    from cogaze.data import PhantomDataset
    from cogaze.train import train
    from tests.conftest import shared_data

    folder = shared_data("cxr_hannover_covid19")
    cfg = load_config("tiny").replace(train={"stage": "pretrain", "checkpoint_every": 0})
    train(cfg, PhantomDataset(8, size=64), out_dir=tmp_path / "pre", max_steps=1, progress=False)
    argv = ["downstream", "--checkpoint", str(tmp_path / "pre"), "--data", f"hannover:{folder}", "--protocol",
            "linear", "--fractions", "0.1", "--epochs", "1", "--out", str(tmp_path / "rows.json")]  # fmt: skip
    assert main(argv) == 0
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert [(r["dataset"], r["protocol"], r["fraction"]) for r in rows] == [("hannover", "linear", 0.1)]
    assert "| hannover | linear | 0.1 |" in capsys.readouterr().out

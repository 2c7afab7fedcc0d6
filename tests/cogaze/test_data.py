"""SYNTHETIC phantoms, the export format, the MIMIC-style reader and collation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cogaze.data import (
    Collator,
    ExportDataset,
    MimicCogazeDataset,
    PhantomDataset,
    Sample,
    make_phantom,
    open_dataset,
    write_export,
)
from cogaze.errors import DataError
from cogaze.labels import OBSERVATION_INDEX, LabelState


def test_phantoms_are_deterministic_and_labelled_synthetic():
    a, b = make_phantom(5, size=64, seed=3), make_phantom(5, size=64, seed=3)
    assert np.array_equal(a.image, b.image) and a.findings == b.findings
    assert a.study_id.startswith("SYNTHETIC-") and a.synthetic
    assert a.image.dtype == np.float32 and 0.0 <= a.image.min() and a.image.max() <= 1.0
    assert not np.array_equal(a.image, make_phantom(6, size=64, seed=3).image)


def test_phantom_labels_masks_and_gaze_agree():
    ds = PhantomDataset(40, size=64, seed=1, prevalence=0.5)
    seen = 0
    for s in ds:
        s.validate()
        assert s.heatmaps.shape == (len(s.sentences), 64, 64)
        assert np.allclose(s.heatmaps.reshape(len(s.sentences), -1).sum(1), 1.0, atol=1e-4)
        if "cardiomegaly" in s.masks:
            assert s.labels[OBSERVATION_INDEX["Cardiomegaly"]] in (LabelState.PRESENT, LabelState.UNCERTAIN)
        if "effusion" in s.masks:
            seen += 1
            mask = s.masks["effusion"]
            # the gaze of the sentence that reports the effusion dwells on it: far above the area's share
            mass = max(float((h * mask).sum()) for h in s.heatmaps)
            assert mass > max(0.25, 4 * float(mask.mean()))
        if not s.masks:
            assert s.labels[OBSERVATION_INDEX["No Finding"]] == LabelState.PRESENT
    assert seen > 0


def test_export_round_trip(tmp_path):
    samples = PhantomDataset(5, size=48, seed=2).samples
    samples[1].split = "test"
    write_export(samples, tmp_path, synthetic=True)
    ds = ExportDataset(tmp_path)
    assert len(ds) == 5 and ds.synthetic
    assert len(ExportDataset(tmp_path, split="test")) == 1
    got = ds[0]
    assert got.study_id == samples[0].study_id and got.findings == samples[0].findings
    assert np.abs(got.image - samples[0].image).max() < 1e-4
    assert np.array_equal(got.labels, samples[0].labels)
    assert got.context == samples[0].context.replace(". [", ". [") and got.sentences == samples[0].sentences
    assert np.allclose(got.heatmaps, samples[0].heatmaps)
    assert open_dataset(f"export:{tmp_path}", split="train").label_states().shape == (4, 14)


def test_export_errors_name_the_field(tmp_path):
    write_export(PhantomDataset(2, size=32).samples, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["studies"][1]["context"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"studies\[1\].*missing field\(s\) \['context'\]"):
        ExportDataset(tmp_path)
    manifest["studies"][1]["context"] = None
    entry = manifest["studies"][0]
    entry["sentences"][0]["heatmap"] = "gaze/bad.npy"
    np.save(tmp_path / "gaze" / "bad.npy", np.ones((5, 5), np.float32))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"heatmaps.*different shapes \[\(5, 5\), \(32, 32\)\]"):
        ExportDataset(tmp_path)[0]
    np.save(tmp_path / "gaze" / "bad.npy", np.ones((5, 5, 2), np.float32))
    with pytest.raises(DataError, match=r"heatmap: expected \(H, W\)"):
        ExportDataset(tmp_path)[0]


def test_mimic_reader(tmp_path):
    from PIL import Image

    img = (np.linspace(0, 1, 40 * 40).reshape(40, 40) * 255).astype(np.uint8)
    folder = tmp_path / "files" / "p10" / "p10000032" / "s50414267"
    folder.mkdir(parents=True)
    Image.fromarray(img).save(folder / "abc123.jpg", quality=95)
    heat = np.zeros((40, 40), np.float32)
    heat[10:20, 10:20] = 0.01
    np.save(tmp_path / "h0.npy", heat)
    ann = {
        "train": [
            {
                "dicom_id": "abc123",
                "subject_id": 10000032,
                "study_id": 50414267,
                "view_position": "AP",
                "indication": "dyspnea",
                "history": "",
                "findings": "Enlarged heart.",
                "labels": {"Cardiomegaly": 1.0, "Edema": None},
                "transcript": [{"sentence": "Enlarged heart.", "heatmap": "h0.npy"}],
            }
        ],
        "validate": [],
    }
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    ds = MimicCogazeDataset(tmp_path, tmp_path / "ann.json", split="train")
    s = ds[0].validate()
    assert s.image.shape == (40, 40) and s.view_position == "AP" and s.context == "[INDICATION] dyspnea"
    assert s.labels[OBSERVATION_INDEX["Cardiomegaly"]] == 1 and s.heatmaps.shape == (1, 40, 40)
    assert len(MimicCogazeDataset(tmp_path, tmp_path / "ann.json", split="val")) == 0
    with pytest.raises(DataError, match="split 'test'"):
        MimicCogazeDataset(tmp_path, tmp_path / "ann.json", split="test")


def test_sample_validation_names_fields():
    good = make_phantom(0, size=32)
    bad = Sample(**{**good.__dict__, "image": np.zeros((32, 32, 3), np.float32)})
    with pytest.raises(DataError, match="image"):
        bad.validate()
    bad = Sample(**{**good.__dict__, "findings": ""})
    with pytest.raises(DataError, match="findings"):
        bad.validate()
    bad = Sample(**{**good.__dict__, "heatmaps": good.heatmaps[:, :, 0]})
    with pytest.raises(DataError, match="heatmaps"):
        bad.validate()
    bad = Sample(**{**good.__dict__, "context": None})
    with pytest.raises(DataError, match="context"):
        bad.validate()


def test_collate_pools_heatmaps_to_the_grid(tiny_config):
    samples = PhantomDataset(4, size=96).samples
    batch = Collator(tiny_config)(samples)
    grid = tiny_config.vision.grid
    assert batch.images.shape == (4, 1, 64, 64)
    assert batch.heatmaps.shape[-1] == grid * grid
    sums = batch.heatmaps.sum(-1)
    assert np.allclose(sums[batch.sentence_mask].numpy(), 1.0, atol=1e-4)
    assert float(sums[~batch.sentence_mask].abs().sum()) == 0.0
    assert batch.has_gaze.all()


def test_phantom_43_of_the_documented_evaluate_command_builds():
    # `python -m cogaze evaluate --checkpoint runs/tiny --data phantoms:64` evaluates with seed 1 at 64 px;
    # phantom 43's simulated reader ran out of fixations before the end of its dwell (IndexError)
    from cogaze.data.phantoms import make_phantom

    sample = make_phantom(43, size=64, seed=1)
    assert sample.heatmaps is not None and np.all(np.isfinite(sample.heatmaps))


def test_phantoms_carry_the_report_level_row_and_both_gaze_directions_are_active(tiny_config):
    import torch

    from cogaze.model import CogazeModel

    s = make_phantom(3, size=64)
    assert s.sentences[-1] == s.findings and len(s.sentences) >= 2
    report, rows = s.heatmaps[-1], s.heatmaps[:-1]
    assert float(report.sum()) == pytest.approx(1.0, abs=1e-4)
    # a dwell-weighted mixture of the sentence priors: zero exactly where every sentence prior is zero
    assert np.array_equal(report > 0, (rows > 0).any(0))
    torch.manual_seed(0)
    model = CogazeModel(tiny_config)
    batch = Collator(tiny_config)([s, make_phantom(4, size=64)])
    parts = model.compute_loss(batch, model(batch))
    assert float(parts["gaze_i2t"].detach()) > 0 and float(parts["gaze_t2i"].detach()) > 0

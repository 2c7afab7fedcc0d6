"""End to end: a frozen dataset version exported for CoGaze, read by ``cogaze.data`` and trained on (tiny)."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

from readingroom.curation.exports.cogaze import version_export_cogaze
from readingroom.curation.services import dataset_create, dataset_version_freeze, study_report_set
from readingroom.gaze.models import GazeAnalysis
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db

_REPORTS = ["FINDINGS: Moderate cardiomegaly. Small left pleural effusion.",
            "FINDINGS: Lungs are clear. No pneumothorax.",
            "INDICATION: Fever.\nFINDINGS: Right lower lobe opacity may reflect pneumonia.",
            "FINDINGS: No effusion. Heart size normal."]  # fmt: skip


@pytest.fixture
def frozen_version(tmp_path, image, reading_session, settings):
    for i in range(8):
        path = write_dicom(tmp_path / f"e{i}.dcm", rows=64, columns=64, seed=200 + i, PatientID=f"E{i // 2}",
                           ViewPosition="PA")  # fmt: skip
        study_report_set(study=image_import_dicom(path=path).image.study, text=_REPORTS[i % 4])
    study_report_set(study=image.study, text=_REPORTS[0])
    prior = np.zeros((image.rows, image.columns), np.float32)
    prior[10:20, 10:20] = 1.0 / 100
    buf = io.BytesIO()
    np.save(buf, prior)
    (settings.MEDIA_ROOT / "gaze").mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "gaze" / "p.npy").write_bytes(buf.getvalue())
    GazeAnalysis.objects.create(session=reading_session, status="done", image=image, prior_file="gaze/p.npy")
    return dataset_version_freeze(dataset=dataset_create(name="e2e"), seed=1,
                                  split_fractions={"train": 0.6, "val": 0.2, "test": 0.2})  # fmt: skip


def test_export_layout_matches_the_format(frozen_version, image, tmp_path):
    manifest_path = version_export_cogaze(version=frozen_version, root=tmp_path / "export")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format"] == "cogaze-export" and manifest["version"] == 1
    assert manifest["dataset_version"] == "v1" and len(manifest["studies"]) == 9
    entry = next(s for s in manifest["studies"] if s["image_id"] == f"I{image.pk}")
    assert entry["labels"] == {"Cardiomegaly": 1, "Pleural Effusion": 1}
    assert entry["sentences"][0]["heatmap"] == f"gaze/I{image.pk}/0.npy"
    heat = np.load(tmp_path / "export" / entry["sentences"][0]["heatmap"])
    assert heat.shape == (image.rows, image.columns) and abs(float(heat.sum()) - 1) < 1e-5
    fever = next(s for s in manifest["studies"] if (s["context"] or {}).get("indication") == "Fever.")
    assert fever["labels"]["Pneumonia"] == -1 and fever["labels"]["Lung Opacity"] == 1


def test_export_is_read_by_cogaze_and_trains_with_tiny(frozen_version, tmp_path):
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch = pytest.importorskip("torch")
    from cogaze.config import load_config
    from cogaze.data.export import ExportDataset
    from cogaze.train import train

    torch.set_num_threads(1)
    version_export_cogaze(version=frozen_version, root=tmp_path / "export")
    dataset = ExportDataset(tmp_path / "export")
    assert len(dataset) == 9
    with_gaze = [dataset[i] for i in range(len(dataset)) if dataset[i].heatmaps is not None]
    assert with_gaze and float(with_gaze[0].heatmaps.sum()) == pytest.approx(1.0, abs=1e-4)
    assert {dataset[i].split for i in range(len(dataset))} <= {"train", "val", "test"}
    config = load_config("tiny").replace(train={"batch_size": 4, "checkpoint_every": 0})
    result = train(
        config, ExportDataset(tmp_path / "export"), out_dir=tmp_path / "run", max_steps=3, progress=False
    )
    assert result.steps == 3 and (tmp_path / "run" / "checkpoint.pt").is_file()

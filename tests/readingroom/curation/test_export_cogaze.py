"""End to end: a frozen dataset version exported for CoGaze, read by ``cogaze.data`` and trained on (tiny)."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

from readingroom.curation.exports.cogaze import version_export_cogaze
from readingroom.curation.exports.common import item_prior
from readingroom.curation.exports.sentence_gaze import reduce_prior
from readingroom.curation.services import dataset_create, dataset_version_freeze, study_report_set
from readingroom.gaze.models import GazeAnalysis
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import store_fixation_gaze, write_dicom

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
    assert manifest["format"] == "cogaze-export" and manifest["version"] == 2
    assert manifest["dataset_version"] == "v1" and len(manifest["studies"]) == 9
    entry = next(s for s in manifest["studies"] if s["image_id"] == f"I{image.pk}")
    assert entry["labels"] == {"Cardiomegaly": 1, "Pleural Effusion": 1}
    # no sentence spans stored for this session: the report-level prior alone, and the entry says so
    assert entry["sentences"] == [
        {"text": entry["findings"], "heatmap": f"gaze/I{image.pk}/report.npy", "level": "report"}
    ]
    assert entry["gaze"] == "report-level only: no sentence time spans stored for the report"
    heat = np.load(tmp_path / "export" / entry["sentences"][0]["heatmap"])
    assert heat.shape == (128, 128) and abs(float(heat.sum()) - 1) < 1e-5
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


@pytest.fixture
def read_with_spans(image, reading_session, reader, monkeypatch):
    """A read of ``image``: three fixations (0-300, 300-600, 600-900 ms), a two-sentence report with spans."""
    from readingroom.curation.exports import sentence_gaze
    from readingroom.gaze.analysis import analysis_run
    from readingroom.reading.services import report_submit

    store_fixation_gaze(reading_session, image, [(260.0, 260.0), (280.0, 300.0), (360.0, 420.0)])
    findings = "Mild cardiomegaly. Left basal opacity."
    report_submit(session=reading_session, reader=reader, findings=findings, impression="",
                  labels={"Cardiomegaly": "present", "Lung Opacity": "present"})  # fmt: skip
    assert analysis_run(session_id=reading_session.pk).status == "done"
    spans = [("Mild cardiomegaly.", 0.0, 600.0), ("Left basal opacity.", 600.0, 900.0)]
    # the spans are stored by the reading room's report versions (another branch); this stands in for them
    monkeypatch.setattr(sentence_gaze, "session_sentence_spans", lambda *, session: spans)
    return dataset_version_freeze(dataset=dataset_create(name="spans"), seed=1)


def test_export_writes_one_prior_per_sentence_and_cogaze_gets_a_nonzero_i2t_term(
    read_with_spans, image, tmp_path
):
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    torch = pytest.importorskip("torch")
    from cogaze.config import load_config
    from cogaze.data.collate import Collator
    from cogaze.data.export import ExportDataset
    from cogaze.model import CogazeModel

    root = tmp_path / "export"
    version_export_cogaze(version=read_with_spans, root=root)
    entry = json.loads((root / "manifest.json").read_text())["studies"][0]
    assert entry["gaze"] == "sentences"
    assert [s["text"] for s in entry["sentences"]] == [
        "Mild cardiomegaly.", "Left basal opacity.", "Mild cardiomegaly. Left basal opacity."
    ]  # fmt: skip
    assert entry["sentences"][-1]["level"] == "report"
    maps = [np.load(root / s["heatmap"]) for s in entry["sentences"]]
    assert all(m.shape == (128, 128) and abs(float(m.sum()) - 1) < 1e-5 for m in maps)
    assert all((root / s["heatmap"]).stat().st_size < 70_000 for s in entry["sentences"])
    # the first sentence's gaze (fixations 1 and 2, upper left) differs from the second's (fixation 3)
    centre = [np.unravel_index(int(m.argmax()), m.shape) for m in maps]
    assert centre[0][0] < centre[1][0] and centre[0][1] < centre[1][1]

    sample = ExportDataset(root)[0]
    assert sample.heatmaps.shape == (3, 128, 128)
    torch.manual_seed(0)
    config = load_config("tiny")
    model = CogazeModel(config).train()
    batch = Collator(config)([sample, sample])
    parts = model.compute_loss(batch, model(batch))
    assert float(parts["gaze_i2t"].detach()) > 0 and float(parts["gaze_t2i"].detach()) > 0


def test_sentence_spans_are_read_from_report_versions_or_the_report():
    from types import SimpleNamespace

    from readingroom.curation.exports.sentence_gaze import session_sentence_spans

    span = {"text": "No effusion.", "start_ms": 10, "end_ms": 900.5, "source": "typing"}

    class Versions:
        def order_by(self, *fields):
            assert fields == ("-number",)
            return self

        def first(self):
            return SimpleNamespace(sentences=[span])

    by_version = SimpleNamespace(report=SimpleNamespace(versions=Versions()))
    assert session_sentence_spans(session=by_version) == [("No effusion.", 10.0, 900.5)]
    on_report = SimpleNamespace(report=SimpleNamespace(sentence_spans=[span]))
    assert session_sentence_spans(session=on_report) == [("No effusion.", 10.0, 900.5)]
    assert session_sentence_spans(session=SimpleNamespace(report=None)) == []
    assert session_sentence_spans(session=SimpleNamespace(report=SimpleNamespace())) == []


def test_a_prior_stored_reduced_is_pooled_at_the_image_scale(image, reading_session, settings):
    # the 48 x 64 image's prior stored at factor 4 (12 x 16): mass on stored pixel (row 2, column 2), i.e.
    # image rows and columns 8-12, i.e. cells 16-24 (rows) and 21-32 (columns) of the 128 x 128 grid
    f = 4
    prior = np.zeros((-(-image.rows // f), -(-image.columns // f)), np.float32)
    prior[2, 2] = 1.0
    (settings.MEDIA_ROOT / "gaze").mkdir(parents=True, exist_ok=True)
    np.save(settings.MEDIA_ROOT / "gaze" / "small.npy", prior)
    analysis = GazeAnalysis.objects.create(session=reading_session, status="done", image=image,
                                           prior_file="gaze/small.npy", prior_downsample=f)  # fmt: skip
    session_id, loaded = item_prior({"gaze_sessions": [reading_session.pk]}, image)
    assert session_id == reading_session.pk and loaded.shape == (16, 12)
    grid = reduce_prior(loaded)
    rows, cols = np.nonzero(grid > 0)
    assert abs(float(grid.sum()) - 1) < 1e-5
    assert (rows.min(), rows.max() + 1) == (16, 24) and (cols.min(), cols.max() + 1) == (21, 32)
    # a file whose shape is not the one its recorded factor gives (another image's prior) is not used
    analysis.prior_downsample = 2
    analysis.save()
    assert item_prior({"gaze_sessions": [reading_session.pk]}, image) is None

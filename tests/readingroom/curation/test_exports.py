"""Exports of a frozen version: the project's layout, REFLACX and BIDS gaze files, reports as DICOM SR."""

from __future__ import annotations

import csv
import json

import numpy as np
import pydicom
import pytest

from gaze_capture.formats import read_bids_physio, read_reflacx_fixations, read_reflacx_gaze
from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.curation.exports import version_export
from readingroom.curation.services import dataset_create, dataset_version_freeze, study_report_set
from readingroom.gaze.analysis import analysis_run
from readingroom.reading.services import report_submit
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import store_fixation_gaze, write_dicom

pytestmark = pytest.mark.django_db


def _csv(path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def version(image, reading_session, reader, tmp_path):
    """A version of two studies: ``image`` read with gaze (three fixations), and one unread study."""
    store_fixation_gaze(reading_session, image, [(300.0, 250.0), (350.0, 330.0), (250.0, 400.0)])
    report_submit(session=reading_session, reader=reader, findings="Mild cardiomegaly.", impression="",
                  labels={"Cardiomegaly": "present"})  # fmt: skip
    analysis = analysis_run(session_id=reading_session.pk)
    assert analysis.status == "done" and analysis.prior_file, analysis.error
    other = image_import_dicom(path=write_dicom(tmp_path / "o.dcm", seed=9, PatientID="O")).image
    study_report_set(study=other.study, text="INDICATION: Dyspnea.\nFINDINGS: No effusion.")
    return dataset_version_freeze(dataset=dataset_create(name="exp"), seed=0)


def test_native_layout(version, image, tmp_path, settings):
    root = tmp_path / "native"
    manifest = json.loads(version_export(version=version, format="native", root=root).read_text())
    assert manifest["manifest_sha256"] == version.manifest_sha256 and len(manifest["items"]) == 2
    rows = _csv(root / "manifest.csv")
    row = next(r for r in rows if r["image_id"] == str(image.pk))
    assert row["Cardiomegaly"] == "present" and row["split"] in {"train", "val", "test"}
    pixels = np.load(root / row["pixels"])
    stored = np.fromfile(settings.MEDIA_ROOT / image.pixels_file, dtype="<u2").reshape(pixels.shape)
    assert np.array_equal(pixels, stored)
    assert pydicom.dcmread(root / row["dicom"]).PatientIdentityRemoved == "YES"
    session_id = manifest["items"][[i["image_id"] for i in manifest["items"]].index(image.pk)][
        "gaze_sessions"
    ][0]
    assert np.load(root / "gaze" / str(session_id) / "samples.npy").shape == (4, 900)
    prior = np.load(root / "gaze" / str(session_id) / f"prior_{image.pk}.npy")
    assert prior.shape == (image.rows, image.columns) and abs(float(prior.sum()) - 1) < 1e-5
    fixations = _csv(root / "gaze" / str(session_id) / "fixations.csv")
    assert len(fixations) == 3
    with pytest.raises(Conflict, match="not empty"):
        version_export(version=version, format="native", root=root)
    with pytest.raises(InvalidInput, match="unknown export format"):
        version_export(version=version, format="zip", root=tmp_path / "z")


def test_reflacx_and_bids_round_trip_through_gaze_capture(version, image, reading_session, tmp_path):
    files = version_export(version=version, format="reflacx", root=tmp_path / "reflacx")
    folder = tmp_path / "reflacx" / str(reading_session.pk) / str(image.pk)
    assert folder / "fixations.csv" in files
    fixations = read_reflacx_fixations(folder / "fixations.csv", image_shape=(image.rows, image.columns))
    assert len(fixations.fixations) == 3
    # the first fixation was at screen (300, 250): image ((300-200)/4, (250-200)/4) = (25, 12.5)
    assert fixations.fixations.x[0] == pytest.approx(25.0, abs=0.5)
    assert fixations.fixations.y[0] == pytest.approx(12.5, abs=0.5)
    gaze = read_reflacx_gaze(folder / "gaze.csv", image_shape=(image.rows, image.columns))
    assert len(gaze.samples) == 900
    written = version_export(version=version, format="bids", root=tmp_path / "bids")
    tsv = next(p for p in written if p.name.endswith("_physio.tsv.gz"))
    samples, sidecar, geometry = read_bids_physio(tsv)
    assert len(samples) == 900 and sidecar["SamplingFrequency"] == pytest.approx(1000.0)
    assert geometry is not None


def test_reports_as_dicom_sr(version, image, tmp_path):
    files = version_export(version=version, format="sr", root=tmp_path / "sr")
    assert len(files) == 2
    docs = [pydicom.dcmread(f) for f in files]
    mine = next(d for d in docs if d.StudyInstanceUID == image.study.study_uid)
    assert (
        mine.Modality == "SR" and mine.PatientIdentityRemoved == "YES"
        if "PatientIdentityRemoved" in mine
        else True
    )
    texts = [item.TextValue for item in mine.ContentSequence]
    assert "Mild cardiomegaly." in texts and "Cardiomegaly: present" in texts
    other = next(d for d in docs if d is not mine)
    assert "Dyspnea." in [item.TextValue for item in other.ContentSequence]

"""Exports of a frozen version: the project's layout, REFLACX and BIDS gaze files, reports as DICOM SR."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from highdicom.sr.utils import find_content_items
from PIL import Image as PILImage
from pydicom.sr.codedict import codes

from gaze_capture.formats import read_bids_physio, read_reflacx_fixations, read_reflacx_gaze
from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.curation.exports import version_export
from readingroom.curation.services import dataset_create, dataset_version_freeze, study_report_set
from readingroom.gaze.analysis import analysis_run, screen_geometry
from readingroom.gaze.models import GazeChunk
from readingroom.reading.models import ReadingSession, ViewEvent
from readingroom.reading.services import report_submit
from readingroom.studies.models import Image
from readingroom.studies.pixels import image_pixels
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db
T0 = 5000.0  # the session clock (ms) when the image was first shown


def _csv(path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def version(image, reading_session, reader, tmp_path):
    """A version of two studies: ``image`` read with gaze (three fixations), and one unread study."""
    rng = np.random.default_rng(0)
    t = T0 + np.arange(900, dtype=np.float64)
    centres = np.repeat([[300.0, 250.0], [350.0, 330.0], [250.0, 400.0]], 300, axis=0)
    xy = centres + rng.normal(0, 0.5, size=centres.shape)
    data = np.stack([t, xy[:, 0], xy[:, 1], np.ones_like(t)])
    GazeChunk.objects.create(session=reading_session, seq=0, device="sim", n_samples=900, t_first_ms=T0,
                             t_last_ms=T0 + 899, data=data.astype("<f8").tobytes())  # fmt: skip
    ViewEvent.objects.create(session=reading_session, seq=0, t_ms=T0, image=image,
                             image_region=[0, 0, image.columns, image.rows],
                             screen_rect=[200, 200, 200 + 4 * image.columns, 200 + 4 * image.rows])  # fmt: skip
    report_submit(session=reading_session, reader=reader, findings="Mild cardiomegaly.", impression="",
                  labels={"Cardiomegaly": "present"})  # fmt: skip
    analysis = analysis_run(session_id=reading_session.pk)
    assert analysis.status == "done" and analysis.prior_file, analysis.error
    other = image_import_dicom(path=write_dicom(tmp_path / "o.dcm", seed=9, PatientID="O")).image
    study_report_set(study=other.study, text="INDICATION: Dyspnea.\nFINDINGS: No effusion.")
    return dataset_version_freeze(dataset=dataset_create(name="exp"), seed=0)


@pytest.fixture
def reduced_priors(settings):
    settings.GAZE_PRIOR_MAX_SIDE = 16  # priors of the 48 x 64 image are stored at 12 x 16 (factor 4)


def test_native_layout(reduced_priors, version, image, tmp_path, settings):
    root = tmp_path / "native"
    manifest = json.loads(version_export(version=version, format="native", root=root).read_text())
    assert manifest["manifest_sha256"] == version.manifest_sha256 and len(manifest["items"]) == 2
    rows = _csv(root / "manifest.csv")
    row = next(r for r in rows if r["image_id"] == str(image.pk))
    assert row["Cardiomegaly"] == "present" and row["split"] in {"train", "val", "test"}
    pixels = np.load(root / row["pixels"])
    stored = image_pixels(image)
    assert np.array_equal(pixels, stored)
    assert pydicom.dcmread(root / row["dicom"]).PatientIdentityRemoved == "YES"
    session_id = manifest["items"][[i["image_id"] for i in manifest["items"]].index(image.pk)][
        "gaze_sessions"
    ][0]
    assert np.load(root / "gaze" / str(session_id) / "samples.npy").shape == (4, 900)
    prior = np.load(root / "gaze" / str(session_id) / f"prior_{image.pk}.npy")
    scale = json.loads((root / "gaze" / str(session_id) / f"prior_{image.pk}.json").read_text())
    assert scale == {"downsample": 4, "rows": image.rows, "columns": image.columns}
    assert prior.shape == (16, 12) and abs(float(prior.sum()) - 1) < 1e-5
    # the three equal fixations, at image (x, y) (25, 12.5), (37.5, 32.5), (12.5, 50), peak in stored
    # pixels (row, column) (3, 6), (8, 9) and (12, 3)
    assert min(prior[3, 6], prior[8, 9], prior[12, 3]) > 0.8 * prior.max()
    fixations = _csv(root / "gaze" / str(session_id) / "fixations.csv")
    assert len(fixations) == 3
    with pytest.raises(Conflict, match="not empty"):
        version_export(version=version, format="native", root=root)
    with pytest.raises(InvalidInput, match="unknown export format"):
        version_export(version=version, format="zip", root=tmp_path / "z")


def _reflacx_heatmap(rows: list[dict], shape: tuple[int, int]) -> np.ndarray:
    """A heatmap made from REFLACX fixation rows as REFLACX documents its columns: a Gaussian of one degree
    (the row's image pixels per degree) around each fixation, limited to the image area shown, weighted by
    the fixation's duration."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    out = np.zeros(shape)
    for r in rows:
        f = {k: float(v) for k, v in r.items() if v not in ("", None)}
        sx, sy = f["angular_resolution_x_pixels_per_degree"], f["angular_resolution_y_pixels_per_degree"]
        g = np.exp(-0.5 * (((xx - f["x_position"]) / sx) ** 2 + ((yy - f["y_position"]) / sy) ** 2))
        shown = ((xx >= f["xmin_shown_from_image"]) & (xx < f["xmax_shown_from_image"])
                 & (yy >= f["ymin_shown_from_image"]) & (yy < f["ymax_shown_from_image"]))  # fmt: skip
        g = np.where(shown, g, 0.0)
        out += g / g.sum() * (f["timestamp_end_fixation"] - f["timestamp_start_fixation"])
    return out / out.sum()


def _platform_prior(session, settings) -> np.ndarray:
    from readingroom.gaze.models import GazeAnalysis

    return np.load(settings.MEDIA_ROOT / GazeAnalysis.objects.get(session=session).prior_file)


def test_reflacx_export_has_reflacx_layout_and_units(version, image, reading_session, tmp_path, settings):
    root = tmp_path / "reflacx"
    version_export(version=version, format="reflacx", root=root)
    (meta,) = _csv(root / "main_data" / "metadata_phase_3.csv")
    reading = meta["id"]
    assert re.fullmatch(r"P301R\d{6}", reading) and meta["eye_tracking_data_discarded"] == "False"
    assert (meta["image_size_x"], meta["image_size_y"]) == (str(image.columns), str(image.rows))
    assert meta["Enlarged cardiac silhouette"] == "5" and meta["Pneumothorax"] == "0"  # Cardiomegaly: present
    assert meta["split"] in {"train", "validate", "test"} and (root / meta["image"]).is_file()
    case = root / "main_data" / reading
    assert (case / "transcription.txt").read_text() == "Mild cardiomegaly."
    rows = _csv(case / "fixations.csv")
    fixations = read_reflacx_fixations(case / "fixations.csv", image_shape=(image.rows, image.columns))
    assert len(fixations.fixations) == 3
    # seconds from the start of the reading (the image shown at T0), not the session clock
    assert 0.0 <= float(rows[0]["timestamp_start_fixation"]) < 0.3
    # the first fixation was at screen (300, 250): image ((300-200)/4, (250-200)/4) = (25, 12.5)
    assert fixations.fixations.x[0] == pytest.approx(25.0, abs=0.5)
    assert fixations.fixations.y[0] == pytest.approx(12.5, abs=0.5)
    # image pixels per degree: the image is drawn 4 screen pixels per image pixel
    ppd = screen_geometry(session=reading_session).ppd_x / 4.0
    assert float(rows[0]["angular_resolution_x_pixels_per_degree"]) == pytest.approx(ppd)
    # the window normalised to the 12-bit stored range: centre 2048 -> 0.5, width 4096 -> 1.0
    assert (float(rows[0]["window_level"]), float(rows[0]["window_width"])) == pytest.approx((0.5, 1.0))
    gaze = read_reflacx_gaze(
        root / "gaze_data" / reading / "gaze.csv", image_shape=(image.rows, image.columns)
    )
    assert len(gaze.samples) == 900 and gaze.samples.t_ms[0] == pytest.approx(0.0)
    # a heatmap made from the export by REFLACX's conventions is the platform's own prior
    prior = _platform_prior(reading_session, settings)
    heatmap = _reflacx_heatmap(rows, prior.shape)
    assert np.corrcoef(heatmap.ravel(), prior.ravel())[0, 1] > 0.99


def test_reflacx_export_reads_back_with_the_importer(version, image, reading_session, tmp_path, settings):
    from readingroom.gaze.imports import gaze_import

    version_export(version=version, format="reflacx", root=tmp_path / "reflacx")
    report = gaze_import(fmt="reflacx", path=tmp_path / "reflacx")
    assert (report.imported, report.failed) == (1, 0), report.errors
    imported = ReadingSession.objects.exclude(pk=reading_session.pk).get()
    assert imported.assignment.study == image.study
    assert screen_geometry(session=imported).ppd_x == pytest.approx(
        screen_geometry(session=reading_session).ppd_x
    )
    a, b = _platform_prior(reading_session, settings), _platform_prior(imported, settings)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.999


def _bids_errors(root) -> list[dict]:
    validator = shutil.which("bids-validator-deno", path=str(Path(sys.executable).parent))
    assert validator, "bids-validator-deno (the test extra) is not installed"
    done = subprocess.run([validator, "--format", "json", str(root)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    issues = json.loads(done.stdout)["issues"]["issues"]
    return [i for i in issues if i.get("severity") == "error"]


def test_bids_export_passes_the_bids_validator(version, image, reading_session, tmp_path):
    root = tmp_path / "bids"
    written = version_export(version=version, format="bids", root=root)
    assert _bids_errors(root) == []
    assert json.loads((root / "dataset_description.json").read_text())["BIDSVersion"]
    assert (root / "README.md").is_file() and (root / "stimuli" / "images" / f"{image.pk}.png").is_file()
    # the subject is the reader, numbered; the session is the reading session
    tsv = next(p for p in written if p.name.endswith("_physio.tsv.gz"))
    assert tsv.parent == root / "sub-01" / f"ses-{reading_session.pk}" / "beh"
    samples, sidecar, geometry = read_bids_physio(tsv)
    assert len(samples) == 900 and sidecar["SamplingFrequency"] == pytest.approx(1000.0)
    assert geometry is not None
    events = _csv_tsv(next(p for p in written if p.name.endswith("_events.tsv")))
    assert [(e["trial_type"], e["image_id"], float(e["onset"])) for e in events] == [
        ("image_view", str(image.pk), 0.0)
    ]
    presentation = json.loads(
        next(p for p in written if p.name.endswith("_events.json") and p.parent.name == "beh").read_text()
    )
    assert set(presentation["StimulusPresentation"]) >= {"ScreenDistance", "ScreenOrigin", "ScreenResolution",
                                                         "ScreenSize"}  # fmt: skip


def test_bids_validator_finds_a_broken_export(version, tmp_path):
    """The validator check above can fail: without its dataset description an export is not BIDS."""
    root = tmp_path / "bids"
    version_export(version=version, format="bids", root=root)
    (root / "dataset_description.json").unlink()
    assert _bids_errors(root)


def _csv_tsv(path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _items(ds, name, value_type: str | None = None) -> list:
    found = find_content_items(ds, name=name, recursive=True)
    return [i for i in found if value_type is None or i.ValueType == value_type]


def test_reports_as_dicom_sr_tid_2000(version, image, tmp_path, reader):
    files = version_export(version=version, format="sr", root=tmp_path / "sr")
    assert len(files) == 2
    docs = [hd.sr.srread(f) for f in files]
    mine = next(d for d in docs if d.StudyInstanceUID == image.study.study_uid)
    assert mine.Modality == "SR" and mine.ContentTemplateSequence[0].TemplateIdentifier == "2000"
    # TID 1204 language, TID 1002 observer (the reader, under a pseudonym)
    (language,) = _items(mine, codes.DCM.LanguageOfContentItemAndDescendants)
    assert language.ConceptCodeSequence[0].CodeValue == "en"
    assert mine.ContentSequence[0].RelationshipType == "HAS CONCEPT MOD"
    (observer,) = _items(mine, codes.DCM.PersonObserverName)
    assert str(observer.PersonName) == f"reader-{reader.pk}^"
    # the findings are a section container holding the text, the labelled observations and the images
    (findings,) = _items(mine, codes.DCM.Findings, "CONTAINER")
    texts = [c.TextValue for c in findings.ContentSequence if c.ValueType == "TEXT"]
    assert texts == ["Mild cardiomegaly.", "Cardiomegaly: present"]
    (reference,) = [c for c in findings.ContentSequence if c.ValueType == "IMAGE"]
    assert reference.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == image.sop_uid
    evidence = mine.CurrentRequestedProcedureEvidenceSequence[0]
    assert (
        evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        == image.sop_uid
    )
    other = next(d for d in docs if d is not mine)
    (indication,) = _items(other, codes.DCM.IndicationsForProcedure, "CONTAINER")
    assert [c.TextValue for c in indication.ContentSequence] == ["Dyspnea."]
    # a report that came with the imported data is attributed to the platform, a device observer
    assert _items(other, codes.DCM.DeviceObserverName)


def test_bitmap_imported_study_gets_an_sr_referencing_its_secondary_capture(tmp_path):
    from readingroom.studies.dicomweb import instance_header
    from readingroom.studies.ingest import import_job_create, import_job_run

    folder = tmp_path / "png"
    folder.mkdir()
    PILImage.fromarray(np.full((40, 30), 120, dtype=np.uint8)).save(folder / "a.png")
    (folder / "meta.csv").write_text("file,patient_id,study_id,view_position\na.png,P1,S1,PA\n")
    job = import_job_create(sources=[str(folder / "meta.csv")], options={}, enqueue=False)
    assert import_job_run(job_id=job.pk, workers=1).imported == 1
    bitmap = Image.objects.get()
    study_report_set(study=bitmap.study, text="FINDINGS: Clear lungs.\nIMPRESSION: Normal.")
    files = version_export(version=dataset_version_freeze(dataset=dataset_create(name="bmp"), seed=0),
                           format="sr", root=tmp_path / "sr")  # fmt: skip
    (doc,) = [hd.sr.srread(f) for f in files]
    header = instance_header(bitmap)
    (reference,) = _items(doc, codes.DCM.BestIllustrationOfFinding)
    assert reference.ReferencedSOPSequence[0].ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert reference.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == bitmap.sop_uid
    series = doc.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert series.SeriesInstanceUID == header.SeriesInstanceUID
    (impressions,) = _items(doc, codes.DCM.Impressions, "CONTAINER")
    assert [c.TextValue for c in impressions.ContentSequence] == ["Normal."]

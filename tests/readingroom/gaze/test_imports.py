"""Importing REFLACX and EGD-CXR gaze files onto the images they were recorded on."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image as PILImage

import gaze_capture as gc
from gaze_capture.formats import (
    Word,
    write_egdcxr_fixations,
    write_egdcxr_transcript,
    write_reflacx_fixations,
    write_reflacx_gaze,
    write_reflacx_transcription,
)
from readingroom.core.models import User
from readingroom.gaze.analysis import screen_geometry, session_gaze
from readingroom.gaze.imports import gaze_import
from readingroom.gaze.models import Fixation, GazeAnalysis, GazeChunk
from readingroom.gaze.prior_scale import prior_image_position
from readingroom.reading.models import ReadingSession, Report, ViewEvent
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.models import Image

pytestmark = pytest.mark.django_db

ROWS, COLS = 200, 160
# Whole image drawn at 2 screen px per image px, then a zoomed view of (40, 50)-(120, 150) at 4.
VIEWS = [
    gc.View(0.0, (0.0, 0.0, 160.0, 200.0), (100.0, 50.0, 420.0, 450.0), (ROWS, COLS), 400.0, 40.0),
    gc.View(1000.0, (40.0, 50.0, 120.0, 150.0), (100.0, 50.0, 420.0, 450.0), (ROWS, COLS), 400.0, 40.0),
]
PPD = 30.0  # the screen's pixels per degree
# REFLACX writes IMAGE pixels per degree at each row's zoom, and windows as fractions of 2**BitsStored (8 here)
IMAGE_PPD = [PPD * v.scale[0] for v in VIEWS]  # 15 (whole image at 2x), 7.5 (zoomed to 4x)
NORMALISED_VIEWS = [gc.View(v.t_ms, v.image_region, v.screen_rect, v.image_shape, 400.0 / 256, 40.0 / 256)
                    for v in VIEWS]  # fmt: skip


def _csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def image(tmp_path) -> Image:
    """One image imported through the MIMIC-CXR-JPG layout (dicom_id d1)."""
    root = tmp_path / "mimic"
    path = root / "files" / "p10" / "p10000032" / "s50414267" / "d1.jpg"
    path.parent.mkdir(parents=True)
    PILImage.fromarray(np.full((ROWS, COLS), 90, dtype=np.uint8)).save(path)
    _csv(root / "mimic-cxr-2.0.0-metadata.csv", ["dicom_id", "subject_id", "study_id", "ViewPosition"],
         [["d1", "10000032", "50414267", "PA"]])  # fmt: skip
    job = import_job_create(sources=[str(root)], options={"layout": "mimic-cxr-jpg"}, enqueue=False)
    assert import_job_run(job_id=job.pk, workers=1).imported == 1
    return Image.objects.get(dataset_image_id="mimic:d1")


def _reflacx_case(folder, *, fixation_columns_ok: bool = True, gaze_folder=None) -> None:
    # two long fixations at (60, 80) in the whole-image view, a short one at (100, 120) zoomed in
    fx = gc.Fixations(onset_ms=np.array([100.0, 700.0, 1100.0]), offset_ms=np.array([600.0, 950.0, 1200.0]),
                      duration_ms=np.array([500.0, 250.0, 100.0]), x=np.array([60.0, 60.0, 100.0]),
                      y=np.array([80.0, 80.0, 120.0]))  # fmt: skip
    folder.mkdir(parents=True)
    ppd = np.take(IMAGE_PPD, [0, 0, 1])
    write_reflacx_fixations(folder / "fixations.csv", fx, views=NORMALISED_VIEWS, view_index=[0, 0, 1],
                            ppd_x=ppd, ppd_y=ppd)  # fmt: skip
    if not fixation_columns_ok:
        text = (folder / "fixations.csv").read_text().replace("x_position", "x_pos", 1)
        (folder / "fixations.csv").write_text(text)
    t = np.arange(0.0, 1500.0, 1000.0 / 60.0)
    x = np.where(t < 1000, 60.0, 100.0) + np.sin(t) * 0.5
    y = np.where(t < 1000, 80.0, 120.0)
    valid = np.ones(t.size, bool)
    valid[5] = False
    samples = gc.Samples.from_arrays(t, x, y, valid=valid)
    gaze_folder = gaze_folder or folder
    gaze_folder.mkdir(parents=True, exist_ok=True)
    index = (t >= 1000).astype(int)
    write_reflacx_gaze(gaze_folder / "gaze.csv", samples, views=NORMALISED_VIEWS, view_index=index,
                       ppd_x=np.take(IMAGE_PPD, index), ppd_y=np.take(IMAGE_PPD, index))  # fmt: skip
    write_reflacx_transcription(folder / "timestamps_transcription.csv",
                                [Word("small", 0.0, 300.0), Word("left", 300.0, 500.0),
                                 Word("pleural", 500.0, 800.0), Word("effusion.", 800.0, 1200.0)])  # fmt: skip


def _reflacx_root(tmp_path):
    main = tmp_path / "reflacx" / "main_data"
    _csv(main / "metadata_phase_1.csv", ["id", "dicom_id", "eye_tracking_data_discarded"],
         [["P102R000001", "d1", "False"], ["P102R000002", "nosuch", "False"], ["P103R000003", "d1", "False"],
          ["P101R000004", "d1", "True"]])  # fmt: skip
    _reflacx_case(main / "P102R000001", gaze_folder=tmp_path / "reflacx" / "gaze_data" / "P102R000001")
    _reflacx_case(main / "P102R000002")
    _reflacx_case(main / "P103R000003", fixation_columns_ok=False)
    return tmp_path / "reflacx"


def _assert_prior_peak(session, image, settings, x, y, downsample=1):
    analysis = GazeAnalysis.objects.get(session=session)
    assert analysis.status == "done" and analysis.image == image and analysis.prior_file
    assert analysis.prior_downsample == downsample
    prior = np.load(settings.MEDIA_ROOT / analysis.prior_file)
    f = downsample
    assert prior.shape == (-(-ROWS // f), -(-COLS // f)) and prior.dtype == np.float32
    assert abs(float(prior.sum()) - 1.0) < 1e-4
    row, col = prior_image_position(*np.unravel_index(int(prior.argmax()), prior.shape), f)
    assert abs(row - y) <= f and abs(col - x) <= f, (row, col)
    return analysis


def test_reflacx_import(tmp_path, image, settings):
    report = gaze_import(fmt="reflacx", path=_reflacx_root(tmp_path))
    assert (report.imported, report.skipped, report.failed) == (1, 0, 2)
    errors = {e["item"].rsplit("/", 1)[-1]: e["error"] for e in report.errors}
    assert "'nosuch' matches no imported image" in errors["P102R000002"]
    assert "x_position" in errors["P103R000003"]

    session = ReadingSession.objects.get()
    assert session.status == "submitted" and session.assignment.study == image.study
    assert session.assignment.project.name == "REFLACX import"
    reader = User.objects.get(username="reflacx:02")
    assert session.reader == reader and reader.roles == ["reader"] and not reader.has_usable_password()
    geometry = screen_geometry(session=session)
    assert geometry.ppd_x == pytest.approx(PPD) and geometry.ppd_y == pytest.approx(PPD)

    # raw samples in screen pixels, one stream; the platform's own mapping gives back the image pixels
    chunk = GazeChunk.objects.get(session=session)
    assert chunk.stream == "reflacx:P102R000001" and chunk.n_samples == 90
    events = ViewEvent.objects.filter(session=session)
    assert events.count() == 2
    # REFLACX's normalised window back in the image's units
    assert [(e.window_width, e.window_level) for e in events] == [pytest.approx((400.0, 40.0))] * 2
    gaze = session_gaze(session=session)
    x_img, y_img, on, _ = gc.map_to_image(gaze.samples.x, gaze.samples.y, gaze.samples.t_ms, gaze.views)
    ok = gaze.samples.valid
    assert ok.sum() == 89 and on[ok].all()
    assert np.allclose(y_img[ok], np.where(gaze.samples.t_ms[ok] < 1000, 80.0, 120.0))

    fixations = list(Fixation.objects.filter(session=session).order_by("index"))
    assert [(f.x_image, f.y_image) for f in fixations] == [(60.0, 80.0), (60.0, 80.0), (100.0, 120.0)]
    assert (fixations[0].x_screen, fixations[0].y_screen) == (220.0, 210.0)
    assert (fixations[2].x_screen, fixations[2].y_screen) == (340.0, 330.0)
    assert [f.duration_ms for f in fixations] == pytest.approx([500.0, 250.0, 100.0])
    analysis = _assert_prior_peak(session, image, settings, 60, 80)
    assert analysis.fixation_count == 3 and analysis.sample_count == 90

    report_row = Report.objects.get(session=session)
    assert report_row.findings == "small left pleural effusion."
    assert report_row.labels["Pleural Effusion"] == "present"

    again = gaze_import(fmt="reflacx", path=tmp_path / "reflacx")
    assert (again.imported, again.skipped, again.failed) == (0, 1, 2)
    assert ReadingSession.objects.count() == 1 and GazeChunk.objects.count() == 1
    assert Fixation.objects.count() == 3


def _egd_folder(tmp_path, *, columns_ok: bool = True):
    folder = tmp_path / "egd"
    folder.mkdir()
    fx = gc.Fixations(onset_ms=np.array([0.0, 400.0, 900.0]), offset_ms=np.array([350.0, 850.0, 1000.0]),
                      duration_ms=np.array([350.0, 450.0, 100.0]), x=np.array([120.0, 120.0, 30.0]),
                      y=np.array([40.0, 40.0, 170.0]))  # fmt: skip
    sx = (100.0 + 2.0 * fx.x) / 1920.0  # the image drawn at (100, 50)-(420, 450) on a 1920x1080 screen
    sy = (50.0 + 2.0 * fx.y) / 1080.0
    write_egdcxr_fixations(folder / "fixations.csv", [
        gc.formats.EgdFixations("S1", "d1", fx, sx, sy, np.arange(1, 4)),
        gc.formats.EgdFixations("S1", "other", fx, sx, sy, np.arange(1, 4)),
    ])  # fmt: skip
    if not columns_ok:
        text = (folder / "fixations.csv").read_text().replace("FPOGD", "FPOG_D", 1)
        (folder / "fixations.csv").write_text(text)
    transcript = folder / "audio_segmentation_transcripts" / "d1" / "transcript.json"
    transcript.parent.mkdir(parents=True)
    write_egdcxr_transcript(transcript, [Word("the heart is enlarged", 0.0, 900.0)])
    return folder


def test_egdcxr_import(tmp_path, image, settings):
    settings.GAZE_PRIOR_MAX_SIDE = 50  # the 200 x 160 image's prior is stored at 50 x 40 (factor 4)
    settings.READING_DEFAULT_SCREEN = {**settings.READING_DEFAULT_SCREEN, "width_px": 1920, "height_px": 1080}
    folder = _egd_folder(tmp_path)
    report = gaze_import(fmt="egdcxr", path=folder)
    assert (report.imported, report.failed) == (1, 1)
    assert "DICOM_ID 'other' matches no imported image" in report.errors[0]["error"]
    assert report.errors[0]["item"].endswith("fixations.csv#other")

    session = ReadingSession.objects.get()
    assert session.reader.username == "egdcxr:radiologist" and session.status == "submitted"
    view = ViewEvent.objects.get(session=session)
    assert view.image == image and view.image_region == [0.0, 0.0, 160.0, 200.0]
    assert np.allclose(view.screen_rect, [100.0, 50.0, 420.0, 450.0])
    chunk = GazeChunk.objects.get(session=session)
    data = np.frombuffer(bytes(chunk.data), dtype="<f8").reshape(4, -1)
    assert np.allclose(data[1], [340.0, 340.0, 160.0]) and data[3].all()
    fixations = list(Fixation.objects.filter(session=session).order_by("index"))
    assert [(f.x_image, f.y_image) for f in fixations] == [(120.0, 40.0), (120.0, 40.0), (30.0, 170.0)]
    assert fixations[0].x_screen == pytest.approx(340.0)
    _assert_prior_peak(session, image, settings, 120, 40, downsample=4)
    stored = Report.objects.get(session=session)
    assert stored.labels["Cardiomegaly"] == "present"
    assert stored.sentence_spans == [{"text": "the heart is enlarged", "start_ms": 0.0, "end_ms": 900.0}]

    again = gaze_import(fmt="egdcxr", path=folder)
    assert (again.imported, again.skipped) == (0, 1) and ReadingSession.objects.count() == 1


def test_egdcxr_missing_column_is_a_file_error(tmp_path, image):
    report = gaze_import(fmt="egdcxr", path=_egd_folder(tmp_path, columns_ok=False))
    assert report.imported == 0 and report.failed == 1
    assert "FPOGD" in report.errors[0]["error"] and ReadingSession.objects.count() == 0


def test_import_gaze_command(tmp_path, image, capsys):
    main = tmp_path / "r" / "main_data"
    _csv(main / "metadata_phase_1.csv", ["id", "dicom_id"], [["P102R000001", "d1"]])
    _reflacx_case(main / "P102R000001", gaze_folder=tmp_path / "reflacx" / "gaze_data" / "P102R000001")
    call_command("import_gaze", "--format", "reflacx", str(main / "P102R000001"))
    assert "1 imported, 0 already imported, 0 failed" in capsys.readouterr().out
    assert ReadingSession.objects.filter(reader__username="reflacx:02").count() == 1


def test_import_gaze_task_runs_on_queue_io(tmp_path, image):
    from readingroom.celery import app
    from readingroom.gaze.tasks import import_gaze

    assert app.amqp.router.route({}, "readingroom.gaze.import_gaze")["queue"].name == "io"
    assert app.amqp.router.route({}, "readingroom.gaze.analyse_session")["queue"].name == "default"
    result = import_gaze.apply(args=("reflacx", str(_reflacx_root(tmp_path)))).get()
    assert (result["imported"], result["failed"]) == (1, 2) and len(result["sessions"]) == 1


def test_reflacx_metadata_errors(tmp_path, image):
    assert "no metadata*.csv" in gaze_import(fmt="reflacx", path=tmp_path).errors[0]["error"]
    _csv(tmp_path / "metadata_phase_2.csv", ["id", "image"], [["P201R1", "x"]])
    report = gaze_import(fmt="reflacx", path=tmp_path)
    assert report.failed == 1 and "missing column(s) dicom_id" in report.errors[0]["error"]
    (tmp_path / "P299R9").mkdir()
    (tmp_path / "P299R9" / "fixations.csv").write_text("")
    report = gaze_import(fmt="reflacx", path=tmp_path / "P299R9")
    assert "'P299R9' is not listed" in report.errors[-1]["error"]


def test_imported_session_exports_as_reflacx(tmp_path, image):
    from gaze_capture.formats import read_reflacx_fixations
    from readingroom.curation.exports.reflacx import reading_write

    gaze_import(fmt="reflacx", path=_reflacx_root(tmp_path))
    written = reading_write(session=ReadingSession.objects.get(), image=image, main=tmp_path / "out",
                            gaze_root=tmp_path / "gaze")  # fmt: skip
    assert written is not None
    back = read_reflacx_fixations(tmp_path / "out" / "fixations.csv", image_shape=(ROWS, COLS))
    assert np.allclose(back.fixations.x, [60.0, 60.0, 100.0]) and np.allclose(
        back.fixations.y, [80.0, 80.0, 120.0]
    )
    assert np.allclose(back.ppd_x, np.take(IMAGE_PPD, [0, 0, 1]))
    assert np.allclose([v.window_width for v in back.views], 400.0 / 256)


def test_reimport_of_the_mimic_folder_restores_a_missing_dataset_id(tmp_path, image):
    Image.objects.filter(pk=image.pk).update(dataset_image_id="")
    job = import_job_create(
        sources=[str(tmp_path / "mimic")], options={"layout": "mimic-cxr-jpg"}, enqueue=False
    )
    assert import_job_run(job_id=job.pk, workers=1).skipped == 1
    assert Image.objects.get(pk=image.pk).dataset_image_id == "mimic:d1"


def test_imported_transcripts_keep_their_sentence_spans_for_per_sentence_gaze(tmp_path, image):
    from readingroom.curation.exports.sentence_gaze import session_sentence_gaze

    gaze_import(fmt="reflacx", path=_reflacx_root(tmp_path))
    session = ReadingSession.objects.get()
    report = Report.objects.get(session=session)
    assert report.sentence_spans == [
        {"text": "small left pleural effusion.", "start_ms": 0.0, "end_ms": 1200.0}
    ]
    # the CoGaze export builds the sentence's prior from the fixations inside its span (all three here)
    per_sentence = session_sentence_gaze(session_id=session.pk, image=image)
    assert per_sentence.sentences == ["small left pleural effusion."]
    prior = per_sentence.priors[0]
    assert prior.shape == (128, 128) and abs(float(prior.sum()) - 1.0) < 1e-5
    row, col = np.unravel_index(int(prior.argmax()), prior.shape)
    assert (
        abs(row - 80 * 128 / ROWS) <= 2 and abs(col - 60 * 128 / COLS) <= 2
    )  # the long fixations at (60, 80)


def test_an_imported_reflacx_session_exports_per_sentence_gaze_with_a_nonzero_i2t_term(tmp_path, image):
    import json

    import torch

    from cogaze.config import load_config
    from cogaze.data.collate import Collator
    from cogaze.data.export import ExportDataset
    from cogaze.model import CogazeModel
    from readingroom.curation.exports.cogaze import version_export_cogaze
    from readingroom.curation.services import dataset_create, dataset_version_freeze

    gaze_import(fmt="reflacx", path=_reflacx_root(tmp_path))
    version = dataset_version_freeze(dataset=dataset_create(name="reflacx"), seed=0)
    version_export_cogaze(version=version, root=tmp_path / "export")
    entry = json.loads((tmp_path / "export" / "manifest.json").read_text())["studies"][0]
    assert entry["gaze"] == "sentences" and len(entry["sentences"]) == 2  # the sentence, then the report row
    sample = ExportDataset(tmp_path / "export")[0]
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = load_config("tiny")
    model = CogazeModel(config)
    batch = Collator(config)([sample, sample])
    parts = model.compute_loss(batch, model(batch))
    assert float(parts["gaze_i2t"].detach()) > 0

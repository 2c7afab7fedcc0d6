"""The analytics demo: a two-arm reader study (unaided, AI-assisted) over SYNTHETIC phantom radiographs, read
end to end by simulated readers, so that every analytics table and figure has data.

Everything made here is SYNTHETIC. The cases are :mod:`cogaze.data.phantoms` images (known findings, curated
labels set before the dataset version is frozen, so that the reference standard is the phantom truth). Each
read is simulated: labels are the truth with per-observation errors (fewer in the AI-assisted arm), the model's
output is the truth blurred by noise with an attention map over the findings, gaze comes from
:func:`gaze_capture.simulate.simulate_reading` (attracted to the findings, more so with the AI's help),
reading times are log-normal (shorter with the AI), and each session gets a validation tracker check. The rows
are written as a finished study would hold them (sessions, reports, predictions, fixations, view events,
tracker checks); nothing else of the reading pipeline runs.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.db import transaction
from django.utils import timezone
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from scipy.ndimage import gaussian_filter

from cogaze.data.phantoms import make_phantom
from cogaze.labels import OBSERVATIONS, LabelState
from gaze_capture import ScreenGeometry, View
from gaze_capture.metrics import ROI
from gaze_capture.simulate import ReaderConfig, simulate_reading
from readingroom.core.files import media_write
from readingroom.core.heatmap import heatmap_png, npy_bytes
from readingroom.core.models import User
from readingroom.curation.models import Dataset
from readingroom.curation.services import dataset_create, dataset_version_freeze, study_labels_set
from readingroom.gaze.models import Fixation, TrackerCheck
from readingroom.modeling.models import Prediction
from readingroom.reading.models import (
    Assignment,
    ReadingProject,
    ReadingSession,
    Report,
    ReportVersion,
    ViewEvent,
)
from readingroom.reading.study_services import study_create, study_start
from readingroom.studies.services import image_import_dicom

DEMO_ANALYTICS_STUDY = "Demo analytics study (SYNTHETIC)"
PHANTOM_SEX = "O"  # the phantoms' patient sex: the demo dataset's cohort filter keeps them apart
_STATE = {LabelState.PRESENT: "present", LabelState.ABSENT: "absent", LabelState.UNCERTAIN: "uncertain",
          LabelState.NOT_MENTIONED: "not_mentioned"}  # fmt: skip
GEOMETRY = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
ARM_EFFECT = {  # error rate of a label, median reading time (s), pull of the findings on gaze
    "unaided": (0.12, 40.0, 0.35),
    "ai_assisted": (0.06, 32.0, 0.55),
}


def _write_phantom_dicom(path: Path, pixels: np.ndarray, index: int) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.PatientSex = (
        f"SYNTHETIC-{index:04d}",
        f"SYNTHETIC^{index:04d}",
        PHANTOM_SEX,
    )
    ds.Modality, ds.ViewPosition, ds.StudyDescription = "CR", "PA", "SYNTHETIC phantom (analytics demo)"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048.0, 4096.0
    ds.PixelSpacing = [1.4, 1.4]
    ds.PixelData = (np.clip(pixels, 0, 1) * 4095).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def _cases(n_cases: int, seed: int) -> list[dict]:
    """Import ``n_cases`` phantoms with their curated labels; returns study, image, labels and finding mask."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(n_cases):
            sample = make_phantom(index, size=128, seed=seed, prevalence=0.45)
            image = image_import_dicom(path=_write_phantom_dicom(Path(tmp) / f"p{index}.dcm", sample.image, index),
                                       indication="SYNTHETIC phantom.", history="").image  # fmt: skip
            labels = {
                obs: _STATE[LabelState(int(v))] for obs, v in zip(OBSERVATIONS, sample.labels, strict=True)
            }
            study_labels_set(
                study=image.study, labels=labels, source="curator", reason="SYNTHETIC phantom truth"
            )
            masks = list((sample.masks or {}).values())
            finding = np.any(masks, axis=0) if masks else np.zeros(sample.image.shape, bool)
            out.append({"study": image.study, "image": image, "labels": labels, "finding": finding})
    return out


def _reader_labels(truth: dict, rng: np.random.Generator, error: float) -> dict:
    out = {}
    for obs, value in truth.items():
        if rng.random() >= error:
            out[obs] = value
        elif value == "present":
            out[obs] = ("absent", "uncertain")[int(rng.integers(2))]
        else:
            out[obs] = ("present", "uncertain")[int(rng.integers(2))]
    return out


def _model_output(case: dict, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    probs = {}
    for obs, value in case["labels"].items():
        base = 0.75 if value == "present" else 0.45 if value == "uncertain" else 0.2
        probs[obs] = float(np.clip(base + rng.normal(0, 0.15), 0.01, 0.99))
    finding = case["finding"].astype(float)
    if not finding.any():
        finding[40:90, 30:100] = 1.0  # nothing to point at: the middle of the chest
    attention = gaze_filter(finding + 0.05 * rng.random(finding.shape))
    return probs, attention / attention.max()


def gaze_filter(x: np.ndarray) -> np.ndarray:
    return gaussian_filter(x, sigma=4.0)


def _simulated_read(assignment: Assignment, case: dict, model: tuple[dict, np.ndarray], rng: np.random.Generator,
                    seed: int) -> None:  # fmt: skip
    error, median_s, pull = ARM_EFFECT.get(assignment.arm.mode, ARM_EFFECT["unaided"])
    reading_s = float(median_s * np.exp(rng.normal(0, 0.3)))
    start = timezone.now() - timedelta(days=1) + timedelta(seconds=float(seed % 100000))
    session = ReadingSession.objects.create(assignment=assignment, reader=assignment.reader,
                                            status=ReadingSession.Status.SUBMITTED,
                                            screen={"width_px": 1920, "height_px": 1080, "width_mm": 530.0,
                                                    "height_mm": 300.0, "distance_mm": 650.0})  # fmt: skip
    ReadingSession.objects.filter(pk=session.pk).update(started_at=start,
                                                        submitted_at=start + timedelta(seconds=reading_s))  # fmt: skip
    labels = _reader_labels(case["labels"], rng, error)
    report = Report.objects.create(session=session, findings="SYNTHETIC simulated read.", labels=labels)
    ReportVersion.objects.create(report=report, number=1, kind=ReportVersion.Kind.FIRST_READ,
                                 findings=report.findings, labels=labels, author=assignment.reader)  # fmt: skip
    probs, attention = model
    name = f"predictions/session-{session.pk}/attention"
    media_write(f"{name}.npy", npy_bytes(attention))
    media_write(f"{name}.png", heatmap_png(attention))
    Prediction.objects.create(session=session, image=case["image"], status=Prediction.Status.DONE,
                              probabilities=probs, attention_file=f"{name}.png")  # fmt: skip
    image = case["image"]
    view = View(0.0, (0, 0, image.columns, image.rows), (420, 0, 1500, 1080), (image.rows, image.columns))
    rois = [ROI("finding", mask=case["finding"])] if case["finding"].any() else []
    sim = simulate_reading(min(reading_s, 20.0) * 1000.0, view=view, geometry=GEOMETRY, rois=rois,
                           config=ReaderConfig(rate_hz=250.0, roi_probability=pull), seed=seed)  # fmt: skip
    fs, fi = sim.fixations, sim.fixations_image
    Fixation.objects.bulk_create([
        Fixation(session=session, index=k, onset_ms=float(fs.onset_ms[k]), offset_ms=float(fs.offset_ms[k]),
                 duration_ms=float(fs.duration_ms[k]), x_screen=float(fs.x[k]), y_screen=float(fs.y[k]),
                 image=image, x_image=float(fi.x[k]), y_image=float(fi.y[k]))
        for k in range(len(fs))
    ])  # fmt: skip
    ViewEvent.objects.create(session=session, stream="simulated", seq=0, t_ms=0.0, image=image,
                             image_region=list(view.image_region), screen_rect=list(view.screen_rect))  # fmt: skip
    accuracy = float(rng.uniform(0.3, 1.3))
    loss = float(rng.uniform(0.0, 12.0))
    TrackerCheck.objects.create(session=session, kind=TrackerCheck.Kind.VALIDATION, device="simulated",
                                accuracy_deg=accuracy, data_loss_pct=loss, sample_count=1000,
                                passed=accuracy <= 1.0 and loss <= 10.0,
                                limits={"accuracy_deg": 1.0, "data_loss_pct": 10.0})  # fmt: skip
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.DONE)


def demo_analytics_ensure(*, lead: User, readers: list[User], n_cases: int = 12, seed: int = 7,
                          name: str = DEMO_ANALYTICS_STUDY) -> ReadingProject:  # fmt: skip
    """Create the SYNTHETIC demo study and read it with simulated readers (once: an existing study of that
    name is returned as it is)."""
    existing = ReadingProject.objects.filter(name=name).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        cases = _cases(n_cases, seed)
        dataset = Dataset.objects.filter(name=f"{name} cases").first() or dataset_create(
            name=f"{name} cases", description="SYNTHETIC phantoms of the analytics demo.", user=lead
        )
        version = dataset_version_freeze(dataset=dataset, seed=seed, filters={"sexes": [PHANTOM_SEX]},
                                         notes="SYNTHETIC analytics demo", user=lead)  # fmt: skip
        project = study_create(
            lead=lead, name=name, dataset_version_id=version.pk, reader_ids=[r.pk for r in readers],
            arms=[{"name": "Unaided", "mode": "unaided"}, {"name": "AI-assisted", "mode": "ai_assisted"}],
            description="SYNTHETIC: simulated readers read every phantom unaided and with the model.", seed=seed,
        )  # fmt: skip
        project = study_start(project_id=project.pk, lead=lead)
        rng = np.random.default_rng(seed)
        by_study = {c["study"].pk: c for c in cases}
        models = {pk: _model_output(c, np.random.default_rng([seed, pk])) for pk, c in by_study.items()}
        for k, a in enumerate(project.assignments.select_related("arm", "reader").order_by("id")):
            _simulated_read(a, by_study[a.study_id], models[a.study_id], rng, seed * 1000 + k)
    return project

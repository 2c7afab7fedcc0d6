"""Fixtures for the Django platform's tests: users, an imported study, a reading assignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def write_dicom(path: Path, *, rows: int = 64, columns: int = 48, photometric: str = "MONOCHROME2",
                window: tuple[float, float] | None = (2048.0, 4096.0), seed: int = 0, **attrs) -> Path:  # fmt: skip
    """Write a small, valid 12-bit CR DICOM file with a smooth random image."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "TEST-PATIENT"
    ds.PatientName = "Test^Patient"
    ds.PatientSex = "F"
    ds.Modality = "CR"
    ds.ViewPosition = "PA"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelSpacing = [0.2, 0.2]
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 4096, size=(rows, columns), dtype=np.uint16)
    ds.PixelData = pixels.tobytes()
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def dicom_file(tmp_path) -> Path:
    return write_dicom(tmp_path / "small.dcm")


@pytest.fixture
def reader(db):
    from readingroom.core.services import user_create

    return user_create(username="reader", password="reader-pass-123", roles=["reader"])


@pytest.fixture
def other_reader(db):
    from readingroom.core.services import user_create

    return user_create(username="other", password="other-pass-123", roles=["reader"])


@pytest.fixture
def image(db, dicom_file):
    from readingroom.studies.services import image_import_dicom

    return image_import_dicom(path=dicom_file, indication="Cough.", history="None.").image


@pytest.fixture
def assignment(db, reader, image):
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign

    project = ReadingProject.objects.create(name="Test project")
    return project_assign(project=project, reader=reader, studies=[image.study])[0]


@pytest.fixture
def reading_session(assignment, reader):
    from readingroom.reading.services import session_start

    return session_start(assignment_id=assignment.pk, reader=reader)


def store_fixation_gaze(session, image, centres: list[tuple[float, float]], ms_each: int = 300) -> None:
    """Store gaze samples (1 kHz, one stream) dwelling ``ms_each`` on each screen point of ``centres`` in
    turn, and one view event showing ``image`` at 4x from screen (200, 200)."""
    from readingroom.gaze.models import GazeChunk
    from readingroom.reading.models import ViewEvent

    rng = np.random.default_rng(0)
    n = ms_each * len(centres)
    t = np.arange(n, dtype=np.float64)
    xy = np.repeat(np.asarray(centres, dtype=np.float64), ms_each, axis=0) + rng.normal(0, 0.5, size=(n, 2))
    data = np.stack([t, xy[:, 0], xy[:, 1], np.ones_like(t)])
    GazeChunk.objects.create(session=session, seq=0, device="sim", n_samples=n, t_first_ms=0,
                             t_last_ms=n - 1, data=data.astype("<f8").tobytes())  # fmt: skip
    ViewEvent.objects.create(session=session, seq=0, t_ms=0, image=image,
                             image_region=[0, 0, image.columns, image.rows],
                             screen_rect=[200, 200, 200 + 4 * image.columns, 200 + 4 * image.rows])  # fmt: skip

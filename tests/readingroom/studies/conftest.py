"""An archive of three studies for the DICOMweb tests: two from DICOM (one with two series), one bitmap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.uid import generate_uid
from rest_framework.test import APIClient

from tests.readingroom.conftest import write_dicom


@dataclass
class Archive:
    api: APIClient
    two_series: object  # the first image of the study with two series (CR and DX)
    second: object  # the DX image of that study
    single: object  # the one image of the DX study
    bitmap: object  # the image imported from an 8-bit PNG


def archive_images(tmp_path) -> tuple:
    """Import the archive's four images (see :class:`Archive`) from files written under ``tmp_path``."""
    from readingroom.studies.services import image_import_bitmap, image_import_dicom

    study = generate_uid()
    specs = [
        ("a1.dcm", dict(StudyInstanceUID=study, StudyDate="20240110", StudyTime="081500", SeriesNumber=1)),
        ("a2.dcm", dict(StudyInstanceUID=study, StudyDate="20240110", StudyTime="081500", SeriesNumber=2,
                        Modality="DX")),
        ("b.dcm", dict(StudyDate="20240301", StudyTime="170000", Modality="DX", PatientID="OTHER")),
    ]  # fmt: skip
    first, second, single = (
        image_import_dicom(path=write_dicom(tmp_path / name, InstanceNumber=1, seed=seed, **attrs)).image
        for seed, (name, attrs) in enumerate(specs, start=1)
    )
    pixels = (np.arange(30 * 20, dtype=np.uint32).reshape(30, 20) % 256).astype(np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / "c.png")
    bitmap = image_import_bitmap(path=tmp_path / "c.png", metadata={"view_position": "PA"}).image
    return first, second, single, bitmap


def decode_frame(frame: bytes, syntax: str, like: pydicom.Dataset) -> np.ndarray:
    """A WADO-RS frame in transfer syntax ``syntax`` decoded with the pixel format of ``like``."""
    if syntax == "1.2.840.10008.1.2.1":
        return np.frombuffer(frame, dtype=f"<u{like.BitsAllocated // 8}").reshape(like.Rows, like.Columns)
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    for keyword in ("Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation",
                    "SamplesPerPixel", "PhotometricInterpretation"):  # fmt: skip
        setattr(ds, keyword, like[keyword].value)
    ds.PixelData = pydicom.encaps.encapsulate([frame])
    return ds.pixel_array


@pytest.fixture
def archive(db, tmp_path) -> Archive:
    from readingroom.core.services import user_create

    api = APIClient()
    api.force_authenticate(user_create(username="curator", password="curator-pass-1", roles=["curator"]))
    return Archive(api, *archive_images(tmp_path))

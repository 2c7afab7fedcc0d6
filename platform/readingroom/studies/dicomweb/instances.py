"""Selectors of the DICOMweb services: the stored instances a user may see, their headers and their frames.

Images imported from DICOM are served from their stored, de-identified file. Images imported from bitmaps
(PNG/JPEG, no DICOM file) are served as Secondary Capture instances whose header is built from the
``Image`` fields (:func:`instance_header`) and whose one frame is the stored uint16 pixels.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pydicom
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from pydicom.dataset import FileMetaDataset
from pydicom.pixels import pixel_array
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import DSfloat

from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.files import media_path
from readingroom.reading.selectors import user_can_view_study, user_sees_all_studies
from readingroom.studies.dicomweb.matching import check_uid
from readingroom.studies.models import Image, Study
from readingroom.studies.pixels import image_pixels, image_pixels_path

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _ds(value: float) -> DSfloat:
    return DSfloat(value, auto_format=True)


def bitmap_series_uid(image: Image) -> str:
    """The series UID given to images without a DICOM file: one series per study, stable across calls."""
    return _series_uid_for(image.study.study_uid)


def _series_uid_for(study_uid: str) -> str:
    return generate_uid(entropy_srcs=["readingroom-bitmap-series", study_uid])


class _BitmapFields(NamedTuple):
    """What a bitmap image's header is built from (the cache key of built headers)."""

    sop_uid: str
    study_uid: str
    study_description: str
    patient_key: str
    patient_sex: str
    modality: str
    view_position: str
    photometric: str
    rows: int
    columns: int
    pixel_spacing: tuple[float, ...]
    bits_stored: int
    window: tuple[float, float]
    rescale: tuple[float, float]


def _bitmap_fields(image: Image) -> _BitmapFields:
    study = image.study
    return _BitmapFields(
        image.sop_uid, study.study_uid, study.description, study.patient.key, study.patient.sex,
        image.modality, image.view_position, image.photometric_interpretation, image.rows, image.columns,
        tuple(image.pixel_spacing or ()), image.bits_stored, (image.window_center, image.window_width),
        (image.rescale_intercept, image.rescale_slope),
    )  # fmt: skip


def _bitmap_header(f: _BitmapFields) -> pydicom.Dataset:
    """A Secondary Capture header (PS3.3 A.8.1) for a bitmap-imported image: the Type 2 attributes the
    platform does not know (dates, names, accession number) are present and empty."""
    ds = pydicom.Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = f.sop_uid
    ds.StudyDate = ds.StudyTime = ds.AccessionNumber = ""
    ds.Modality = f.modality or "OT"
    ds.ConversionType = "WSD"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = f.study_description
    ds.PatientName = ""
    ds.PatientID = f.patient_key
    ds.PatientBirthDate = ""
    ds.PatientSex = f.patient_sex
    if f.view_position:
        ds.ViewPosition = f.view_position
    ds.StudyInstanceUID = f.study_uid
    ds.SeriesInstanceUID = _series_uid_for(f.study_uid)
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = f.photometric
    ds.Rows, ds.Columns = f.rows, f.columns
    if f.pixel_spacing:
        ds.PixelSpacing = [_ds(v) for v in f.pixel_spacing]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, f.bits_stored, f.bits_stored - 1
    ds.PixelRepresentation = 0
    ds.WindowCenter, ds.WindowWidth = _ds(f.window[0]), _ds(f.window[1])
    ds.RescaleIntercept, ds.RescaleSlope = _ds(f.rescale[0]), _ds(f.rescale[1])
    ds.RescaleType = "US"
    return ds


# Built headers are cached like read ones (building one costs about a millisecond); any change of the
# fields they are built from is a new key.
_cached_bitmap_header = functools.lru_cache(maxsize=16384)(_bitmap_header)


@functools.lru_cache(maxsize=4096)
def _file_header(path: str, mtime_ns: int, size: int) -> pydicom.Dataset:
    # Keyed by modification time and size so that a rewritten file is read again.
    return pydicom.dcmread(path, stop_before_pixels=True)


def instance_header(image: Image) -> pydicom.Dataset:
    """The DICOM header of an image without its pixel data: the stored file's, or one built from ``image``.

    Built headers describe what the frames service sends for them: one frame of unsigned 16-bit stored
    values (``BitsAllocated`` 16, ``PixelRepresentation`` 0) with the image's rescale and window. Headers
    are cached per process and shared: callers must not change them.
    """
    if not image.dicom_file:
        return _cached_bitmap_header(_bitmap_fields(image))
    path = media_path(image.dicom_file)
    stat = path.stat()
    return _file_header(str(path), stat.st_mtime_ns, stat.st_size)


def series_uid_of(image: Image) -> str:
    """The series instance UID under which the DICOMweb services serve ``image``."""
    return str(instance_header(image).get("SeriesInstanceUID", ""))


def frame_count(header: pydicom.Dataset) -> int:
    return int(header.get("NumberOfFrames") or 1)


def stored_transfer_syntax(header: pydicom.Dataset) -> str:
    """The transfer syntax of the stored file ``header`` was read from; ``""`` for a built header."""
    meta = getattr(header, "file_meta", None)
    return str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""


def visible_images(
    *, user: AbstractBaseUser, study_uids: Iterable[str] = (), sop_uids: Iterable[str] = ()
) -> QuerySet[Image]:
    """The images ``user`` may see (readers: the studies on their worklist), in study then import order,
    optionally only those of the given studies or SOP instances."""
    images = Image.objects.select_related("study__patient").order_by("study_id", "pk")
    if not user_sees_all_studies(user=user):
        images = images.filter(study__assignments__reader=user).distinct()
    if study_uids := list(study_uids):
        images = images.filter(study__study_uid__in=study_uids)
    if sop_uids := list(sop_uids):
        images = images.filter(sop_uid__in=sop_uids)
    return images


def study_for(*, user: AbstractBaseUser, study_uid: str) -> Study:
    """The study ``study_uid``: :class:`NotFound` if there is none, :class:`Forbidden` if ``user`` may not see it."""
    check_uid(study_uid, name="StudyInstanceUID")
    study = Study.objects.filter(study_uid=study_uid).first()
    if study is None:
        raise NotFound(f"study {study_uid} does not exist")
    if not user_can_view_study(user=user, study_id=study.pk):
        raise Forbidden(f"study {study_uid} is not on your worklist")
    return study


def instances_of(
    *, user: AbstractBaseUser, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> list[tuple[Image, pydicom.Dataset]]:
    """The instances of a study (of one series, or the one instance ``sop_uid``) with their headers.

    :class:`NotFound` names the series or instance when nothing matches.
    """
    study = study_for(user=user, study_uid=study_uid)
    images = study.images.select_related("study__patient").order_by("pk")
    if series_uid is not None:
        check_uid(series_uid, name="SeriesInstanceUID")
    if sop_uid is not None:
        images = images.filter(sop_uid=check_uid(sop_uid, name="SOPInstanceUID"))
    found = [(image, instance_header(image)) for image in images]
    if series_uid is not None:
        found = [(i, h) for i, h in found if str(h.get("SeriesInstanceUID", "")) == series_uid]
    if not found:
        what = f"instance {sop_uid}" if sop_uid else f"series {series_uid}" if series_uid else "an instance"
        where = (
            f"series {series_uid} of study {study_uid}" if series_uid and sop_uid else f"study {study_uid}"
        )
        raise NotFound(f"{what} does not exist in {where}")
    return found


def frame_pixels(image: Image, header: pydicom.Dataset, number: int) -> np.ndarray:
    """Frame ``number`` (1-based) of ``image`` as decoded stored values, shape (rows, columns[, samples])."""
    if not image.dicom_file:
        return image_pixels(image)
    index = number - 1 if frame_count(header) > 1 else None
    return pixel_array(media_path(image.dicom_file), index=index)


def instance_file(image: Image) -> pydicom.FileDataset | pydicom.Dataset:
    """The whole instance with its pixel data: the stored file, or a Secondary Capture built for a bitmap."""
    if image.dicom_file:
        return pydicom.dcmread(media_path(image.dicom_file))
    ds = _bitmap_header(_bitmap_fields(image))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = image_pixels_path(image).read_bytes()
    ds["PixelData"].VR = "OW"
    return ds

"""Importing radiographs: the database half (patients, studies, images) over :mod:`.prepare`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pydicom
from django.conf import settings
from django.db import IntegrityError, transaction
from pydicom.uid import generate_uid

from readingroom.core.files import media_path
from readingroom.studies.models import Image, Patient, Study
from readingroom.studies.prepare import (
    PreparedImage,
    dicom_write,
    image_prepare_bitmap,
    image_prepare_dicom,
    patient_key,
    read_source,
    remap_uid,
    remove_files,
)

__all__ = [
    "ImportResult",
    "image_commit_prepared",
    "images_commit_prepared",
    "image_import_bitmap",
    "image_import_dicom",
    "patient_key",
    "remap_uid",
]


@dataclass(frozen=True)
class ImportResult:
    image: Image
    created: bool
    warning: str = ""


def _give_new_sop_uid(prepared: PreparedImage) -> str:
    """An edited copy (same SOP Instance UID, other content) keeps its own UID, in the file too."""
    sop_uid = generate_uid(entropy_srcs=[settings.PATIENT_KEY_SALT, prepared.source_sop_uid, prepared.digest])
    name = prepared.files.get("dicom_file")
    if name:
        ds = pydicom.dcmread(media_path(name))
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        dicom_write(ds, name)
    return sop_uid


def _rows_create(*, prepared: PreparedImage, sop_uid: str, indication: str, history: str) -> Image:
    """The image row, with its study and patient where they are new (no savepoints: the caller retries the
    whole transaction where a concurrent import created the same patient or study meanwhile)."""
    study = Study.objects.filter(study_uid=prepared.study_uid).first()
    if study is None:
        patient = Patient.objects.filter(key=prepared.patient_key).first()
        if patient is None:
            patient = Patient.objects.create(key=prepared.patient_key, sex=prepared.sex)
        study = _study_row(prepared, patient, indication, history)
        study.save(force_insert=True)
    image = _image_row(prepared, study, sop_uid)
    image.save(force_insert=True)
    return image


def _study_row(prepared: PreparedImage, patient: Patient, indication: str, history: str) -> Study:
    return Study(
        study_uid=prepared.study_uid,
        patient=patient,
        modality=prepared.modality,
        description=f"{prepared.modality or 'XR'} chest {prepared.view_position}".strip(),
        indication=prepared.study_fields.get("indication", indication),
        history=prepared.study_fields.get("history", history),
    )


def _image_row(prepared: PreparedImage, study: Study, sop_uid: str) -> Image:
    return Image(
        study=study,
        sop_uid=sop_uid,
        source_sha256=prepared.digest,
        modality=prepared.modality,
        view_position=prepared.view_position,
        source_identifiers=prepared.source_identifiers,
        dataset_image_id=prepared.dataset_image_id,
        **prepared.image_fields,
        **prepared.files,
    )


def image_commit_prepared(
    *, prepared: PreparedImage, indication: str = "", history: str = "", looked_up: bool = False
) -> ImportResult:
    """Create the patient, study and image rows of a prepared image (see :mod:`.prepare`).

    Idempotent by content hash: an image with the same hash returns the existing one (``created=False``).
    ``looked_up``: the caller has just looked the hash up (a batch import, in bulk); the rows are then
    written at once, content committed meanwhile still found by the hash's unique constraint. An image whose
    SOP Instance UID was imported before from other content gets a new UID (with a warning). Where the rows
    cannot be written, the prepared files are removed and the error is raised.
    """
    if not looked_up:
        existing = Image.objects.filter(source_sha256=prepared.digest).first()
        if existing is not None:
            return ImportResult(image=existing, created=False)
    sop_uid, warning = prepared.sop_uid, ""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                image = _rows_create(
                    prepared=prepared, sop_uid=sop_uid, indication=indication, history=history
                )
            return ImportResult(image=image, created=True, warning=warning)
        except IntegrityError:
            existing = Image.objects.filter(source_sha256=prepared.digest).first()
            if existing is not None:  # the same content committed before or meanwhile: its files are these
                return ImportResult(image=existing, created=False)
            if attempt == 2:
                remove_files(prepared.files)
                raise
            if Image.objects.filter(sop_uid=sop_uid).exists():
                sop_uid = _give_new_sop_uid(prepared)
                warning = "its SOP Instance UID was imported before from different content; given a new UID"
            # else a patient or study created meanwhile by another import: found on the second attempt
        except Exception:
            remove_files(prepared.files)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def images_commit_prepared(
    *, prepared: list[PreparedImage], indication: str = "", history: str = ""
) -> list[ImportResult] | None:
    """Create the rows of several prepared images in one transaction: the studies and patients looked up in
    one query each, the new ones and the images inserted in bulk (about 7 queries for the whole batch).

    For a batch import whose contents were just looked up (none imported before). Returns None, having
    written nothing, where the batch cannot go in as one (the same content or SOP Instance UID twice, or in
    the database already, or any other integrity error): the caller then commits each image on its own
    (:func:`image_commit_prepared`), which handles each of those cases. Files are never removed here.
    """
    if not prepared:
        return []
    if len({p.digest for p in prepared}) < len(prepared) or len({p.sop_uid for p in prepared}) < len(
        prepared
    ):
        return None
    try:
        with transaction.atomic():
            studies = {
                s.study_uid: s for s in Study.objects.filter(study_uid__in={p.study_uid for p in prepared})
            }
            new_studies = {p.study_uid: p for p in reversed(prepared) if p.study_uid not in studies}
            keys = {p.patient_key for p in new_studies.values()}
            patients = {pt.key: pt for pt in Patient.objects.filter(key__in=keys)} if keys else {}
            created = {p.patient_key: Patient(key=p.patient_key, sex=p.sex)
                       for p in reversed(prepared) if p.study_uid in new_studies and p.patient_key not in patients}  # fmt: skip
            patients.update({pt.key: pt for pt in Patient.objects.bulk_create(list(created.values()))})
            for study in Study.objects.bulk_create(
                [_study_row(p, patients[p.patient_key], indication, history) for p in new_studies.values()]
            ):
                studies[study.study_uid] = study
            images = Image.objects.bulk_create(
                [_image_row(p, studies[p.study_uid], p.sop_uid) for p in prepared]
            )
    except IntegrityError:
        return None
    return [ImportResult(image=image, created=True) for image in images]


def image_import_dicom(*, path: Path | str, indication: str = "", history: str = "") -> ImportResult:
    """Import one DICOM radiograph file: patient, study and image, with display derivatives.

    The file is de-identified by the PS3.15 Annex E Basic Profile (:mod:`.dicomio.deid`) before anything is
    stored; the de-identified DICOM is kept beside the derivatives, the original file is never changed.
    Idempotent: a file whose content was imported before returns the existing image (``created=False``).
    Raises :class:`~readingroom.core.exceptions.InvalidInput` naming the file for a non-DICOM, corrupt,
    non-image or undecodable file, and for burned-in annotation where ``DEID_BURNED_IN_ANNOTATION`` is
    ``"refuse"``; nothing is written in that case.
    """
    content, digest = read_source(path)
    existing = Image.objects.filter(source_sha256=digest).first()
    if existing is not None:
        return ImportResult(image=existing, created=False)
    prepared = image_prepare_dicom(path=path, content=content, digest=digest)
    return image_commit_prepared(prepared=prepared, indication=indication, history=history)


def image_import_bitmap(*, path: Path | str, metadata: dict | None = None) -> ImportResult:
    """Import one PNG/JPEG radiograph with its metadata (see :func:`.prepare.image_prepare_bitmap`)."""
    content, digest = read_source(path)
    existing = Image.objects.filter(source_sha256=digest).first()
    if existing is not None:
        return ImportResult(image=existing, created=False)
    prepared = image_prepare_bitmap(path=path, content=content, digest=digest, metadata=metadata or {})
    return image_commit_prepared(prepared=prepared)

"""Importing radiographs and writing their derivatives."""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from django.conf import settings
from django.db import transaction
from PIL import Image as PILImage
from pydicom.errors import InvalidDicomError
from pydicom.uid import generate_uid

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.dicomio.deid import dataset_deidentify, date_offset_days
from readingroom.studies.dicomio.render import DecodedImage, decode_radiograph
from readingroom.studies.models import Image, Patient, Study

THUMBNAIL_SIZE = 256
# Storage SOP classes of image objects; anything else (SR, RT, presentation states) is refused.
_NON_IMAGE_MODALITIES = {"SR", "RTSTRUCT", "RTPLAN", "RTDOSE", "PR", "KO", "DOC", "SEG"}


@dataclass(frozen=True)
class ImportResult:
    image: Image
    created: bool
    warning: str = ""


def patient_key(source_patient_id: str) -> str:
    """A pseudonymous, stable key for a patient id (HMAC-SHA256 with the installation's salt)."""
    return hmac.new(
        settings.PATIENT_KEY_SALT.encode(), source_patient_id.encode(), hashlib.sha256
    ).hexdigest()


def remap_uid(uid: str) -> str:
    """The platform's UID for a source UID: deterministic per installation, so re-imports map the same."""
    return generate_uid(entropy_srcs=[settings.PATIENT_KEY_SALT, str(uid)])


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _png_bytes(pixels: np.ndarray, *, size: int | None = None) -> bytes:
    img = PILImage.fromarray(pixels, mode="L")
    if size is not None:
        img.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def _dicom_bytes(ds: pydicom.Dataset) -> bytes:
    buf = io.BytesIO()
    try:
        ds.save_as(buf, enforce_file_format=True)
    except (AttributeError, ValueError):  # a source without complete file meta: write it as it came
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=False)
    return buf.getvalue()


def _write_derivatives(decoded: DecodedImage, digest: str, *, dicom: bytes | None = None) -> dict[str, str]:
    """Write pixels, display, thumbnail (and de-identified DICOM) files under MEDIA_ROOT.

    Returns their names relative to MEDIA_ROOT, keyed by the :class:`Image` field that holds each.
    """
    base = Path("images") / digest[:2] / digest
    names = {
        "pixels_file": str(base.with_suffix(".u16")),
        "display_file": str(base.with_suffix(".png")),
        "thumbnail_file": str(base) + "_thumb.png",
    }
    root = Path(settings.MEDIA_ROOT)
    if dicom is not None:
        names["dicom_file"] = str(base.with_suffix(".dcm"))
        _write_atomic(root / names["dicom_file"], dicom)
    _write_atomic(root / names["pixels_file"], decoded.stored.astype("<u2").tobytes())
    _write_atomic(root / names["display_file"], _png_bytes(decoded.display))
    _write_atomic(root / names["thumbnail_file"], _png_bytes(decoded.display, size=THUMBNAIL_SIZE))
    return names


def _remove_files(names: dict[str, str]) -> None:
    for name in names.values():
        (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)


def image_import_dicom(*, path: Path | str, indication: str = "", history: str = "") -> ImportResult:
    """Import one DICOM radiograph file: patient, study and image, with display derivatives.

    The file is de-identified by the PS3.15 Annex E Basic Profile (:mod:`.dicomio.deid`) before anything is
    stored; the de-identified DICOM is kept beside the derivatives, the original file is never changed.
    Idempotent: a file whose content was imported before returns the existing image (``created=False``).
    Raises :class:`InvalidInput` naming the file for a non-DICOM, corrupt, non-image or undecodable file,
    and for burned-in annotation where ``DEID_BURNED_IN_ANNOTATION`` is ``"refuse"``; nothing is written
    in that case.
    """
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read file: {exc.strerror}") from exc
    digest = hashlib.sha256(content).hexdigest()
    existing = Image.objects.filter(source_sha256=digest).first()
    if existing is not None:
        return ImportResult(image=existing, created=False)
    try:
        ds = pydicom.dcmread(io.BytesIO(content))
    except InvalidDicomError as exc:
        raise InvalidInput(f"{path}: not a DICOM file ({exc})") from exc
    except Exception as exc:  # truncated or malformed element streams raise many types
        raise InvalidInput(f"{path}: corrupt DICOM file ({type(exc).__name__}: {exc})") from exc
    modality = str(ds.get("Modality", ""))
    if modality in _NON_IMAGE_MODALITIES:
        raise InvalidInput(f"{path}: modality {modality} is not an image")
    for keyword in ("StudyInstanceUID", "SOPInstanceUID"):
        if not ds.get(keyword):
            raise InvalidInput(f"{path}: missing {keyword}")
    burned_in = str(ds.get("BurnedInAnnotation", "")).upper() == "YES"
    if burned_in and settings.DEID_BURNED_IN_ANNOTATION != "flag":
        raise InvalidInput(f"{path}: BurnedInAnnotation is YES; refused (DEID_BURNED_IN_ANNOTATION=refuse)")
    source_ids = {
        "PatientID": str(ds.get("PatientID", "")),
        "StudyInstanceUID": str(ds.StudyInstanceUID),
        "SOPInstanceUID": str(ds.SOPInstanceUID),
        "AccessionNumber": str(ds.get("AccessionNumber", "")),
    }
    sex = str(ds.get("PatientSex", ""))[:1]
    view_position = str(ds.get("ViewPosition", ""))
    key = patient_key(source_ids["PatientID"] or f"unknown:{ds.StudyInstanceUID}")
    decoded = decode_radiograph(ds, source=str(path))
    dataset_deidentify(ds, pseudonym=key[:16], date_offset_days=date_offset_days(key), remap_uid=remap_uid)

    sop_uid = str(ds.SOPInstanceUID)
    warning = ""
    if Image.objects.filter(sop_uid=sop_uid).exists():
        # Same SOP Instance UID, different content: an edited copy. Keep both, apart.
        sop_uid = generate_uid(entropy_srcs=[settings.PATIENT_KEY_SALT, source_ids["SOPInstanceUID"], digest])
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        warning = "its SOP Instance UID was imported before from different content; given a new UID"

    names = _write_derivatives(decoded, digest, dicom=_dicom_bytes(ds))
    try:
        with transaction.atomic():
            patient, _ = Patient.objects.get_or_create(key=key, defaults={"sex": sex})
            study, _ = Study.objects.get_or_create(
                study_uid=str(ds.StudyInstanceUID),
                defaults={
                    "patient": patient,
                    "modality": modality,
                    "description": f"{modality or 'XR'} chest {view_position}".strip(),
                    "indication": indication,
                    "history": history,
                },
            )
            image = Image.objects.create(
                study=study,
                sop_uid=sop_uid,
                source_sha256=digest,
                modality=modality,
                view_position=view_position,
                rows=int(decoded.stored.shape[0]),
                columns=int(decoded.stored.shape[1]),
                bits_stored=decoded.bits_stored,
                photometric_interpretation=decoded.photometric_interpretation,
                rescale_slope=decoded.rescale_slope,
                rescale_intercept=decoded.rescale_intercept,
                window_center=decoded.window_center,
                window_width=decoded.window_width,
                pixel_spacing=list(decoded.pixel_spacing) if decoded.pixel_spacing else None,
                burned_in_annotation=burned_in,
                source_identifiers=source_ids if settings.DEID_STORE_SOURCE_IDENTIFIERS else {},
                **names,
            )
    except Exception:
        _remove_files(names)
        raise
    return ImportResult(image=image, created=True, warning=warning)

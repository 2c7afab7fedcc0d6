"""The database-free half of an import: read, check, de-identify and write the files of an image.

These functions run in worker processes of a batch import (:mod:`readingroom.studies.ingest`); they read
settings (the patient-key salt, MEDIA_ROOT, the de-identification settings) but never the database. The
database half is :func:`readingroom.studies.services.image_commit_prepared`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from django.conf import settings
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from pydicom.errors import InvalidDicomError
from pydicom.uid import generate_uid

from readingroom.core.exceptions import InvalidInput
from readingroom.core.files import media_path, media_write_with
from readingroom.studies.dicomio.deid import dataset_deidentify, date_offset_days
from readingroom.studies.dicomio.header import RadiographHeader, radiograph_header
from readingroom.studies.dicomio.render import DecodedImage, decode_radiograph
from readingroom.studies.pixels import display_raw_name, display_table_name, write_pixel_files

# Modalities of non-image objects (SR, RT, presentation states, key objects): refused.
NON_IMAGE_MODALITIES = {"SR", "RTSTRUCT", "RTPLAN", "RTDOSE", "RTIMAGE", "PR", "KO", "DOC", "SEG"}
BITMAP_SUFFIXES = {".png", ".jpg", ".jpeg"}


# Values that imported metadata (CSV columns, data set layouts) may give. Sex: DICOM's M/F/O (or the words).
SEXES = {"": "", "M": "M", "F": "F", "O": "O", "MALE": "M", "FEMALE": "F", "OTHER": "O"}
# Projection radiography: DICOM's ViewPosition defined terms plus those the public data sets use.
VIEW_POSITIONS = frozenset({
    "", "AP", "PA", "LL", "RL", "RLD", "LLD", "RLO", "LLO", "LAT", "LATERAL", "LAO", "RAO", "LPO", "RPO",
    "AP AXIAL", "PA LLD", "AP LLD", "AP RLD", "PA RLD", "XTABLE LATERAL", "SWIMMERS", "LATERAL DECUBITUS",
    "FRONTAL",
})  # fmt: skip
# Radiograph modalities: computed, digital and conventional radiography, secondary capture.
MODALITIES = frozenset({"", "CR", "DX", "RG", "SC"})


def bitmap_metadata_clean(metadata: dict, *, path: Path | str) -> dict[str, str]:
    """Sex, view position and modality of imported metadata, upper-cased and checked.

    Raises :class:`InvalidInput` naming the file, the field and the value that is not allowed.

    >>> bitmap_metadata_clean({"sex": "female", "view_position": "pa", "modality": "cr"}, path="x.png")
    {'sex': 'F', 'view_position': 'PA', 'modality': 'CR'}
    >>> bitmap_metadata_clean({"sex": "Q"}, path="x.png")
    Traceback (most recent call last):
    ...
    readingroom.core.exceptions.InvalidInput: x.png: sex 'Q' is not one of M, F, O (or empty)
    """
    fields = {
        k: " ".join(str(metadata.get(k) or "").upper().split()) for k in ("sex", "view_position", "modality")
    }
    if fields["sex"] not in SEXES:
        raise InvalidInput(f"{path}: sex {metadata.get('sex')!r} is not one of M, F, O (or empty)")
    if fields["view_position"] not in VIEW_POSITIONS:
        raise InvalidInput(
            f"{path}: view_position {metadata.get('view_position')!r} is not a radiograph view "
            f"({', '.join(sorted(v for v in VIEW_POSITIONS if v))})"
        )
    if fields["modality"] not in MODALITIES:
        raise InvalidInput(
            f"{path}: modality {metadata.get('modality')!r} is not a radiograph modality "
            f"({', '.join(sorted(m for m in MODALITIES if m))})"
        )
    return {**fields, "sex": SEXES[fields["sex"]]}


def patient_key(source_patient_id: str) -> str:
    """A pseudonymous, stable key for a patient id (HMAC-SHA256 with the installation's salt)."""
    return hmac.new(
        settings.PATIENT_KEY_SALT.encode(), source_patient_id.encode(), hashlib.sha256
    ).hexdigest()


def remap_uid(uid: str) -> str:
    """The platform's UID for a source UID: deterministic per installation, so re-imports map the same."""
    return generate_uid(entropy_srcs=[settings.PATIENT_KEY_SALT, str(uid)])


@dataclass(frozen=True)
class PreparedImage:
    """An image whose files are written and whose database rows are still to be created (picklable)."""

    source: str
    digest: str
    patient_key: str
    sex: str
    study_uid: str
    sop_uid: str
    source_sop_uid: str
    modality: str
    view_position: str
    image_fields: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    source_identifiers: dict = field(default_factory=dict)
    study_fields: dict = field(default_factory=dict)
    dataset_image_id: str = ""


def dicom_bytes(ds: pydicom.Dataset) -> bytes:
    """``ds`` as a DICOM file (with file meta where it has them)."""
    buf = io.BytesIO()
    try:
        ds.save_as(buf, enforce_file_format=True)
    except (AttributeError, ValueError):  # a source without complete file meta: write it as it came
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=False)
    return buf.getvalue()


def dicom_write(ds: pydicom.Dataset, relative: str) -> None:
    """Write ``ds`` as a DICOM file (with file meta where it has them) to MEDIA_ROOT/relative, atomically;
    straight into the file, without a copy in memory. A value that cannot be written raises; nothing is left.
    """

    def write(fh) -> None:
        try:
            ds.save_as(fh, enforce_file_format=True)
        except (AttributeError, ValueError):  # a source without complete file meta: write it as it came
            fh.seek(0)
            fh.truncate()
            ds.save_as(fh, enforce_file_format=False)

    media_write_with(relative, write)


def derivative_names(digest: str) -> dict[str, str]:
    """The names (relative to MEDIA_ROOT) of an image's pixel file and display PNGs, keyed by ``Image`` field.

    The files themselves are made when first read (:mod:`readingroom.studies.pixels`,
    :mod:`readingroom.studies.derivatives`) unless the import wrote them.
    """
    base = Path("images") / digest[:2] / digest
    return {
        "pixels_file": str(base.with_suffix(".u16")),
        "display_file": str(base.with_suffix(".png")),
        "thumbnail_file": str(base) + "_thumb.png",
    }


def write_derivatives(
    decoded: DecodedImage | None, digest: str, *, dicom: pydicom.Dataset | None = None
) -> dict[str, str]:
    """Write the de-identified DICOM (where given) and the pixels and display table of ``decoded`` (where
    given) under MEDIA_ROOT; returns the names of all of an image's files (:func:`derivative_names`).

    A DICOM import passes no ``decoded``: its pixels are derived from the stored DICOM when first read.
    """
    names = derivative_names(digest)
    if dicom is not None:
        names["dicom_file"] = str(Path(names["pixels_file"]).with_suffix(".dcm"))
        dicom_write(dicom, names["dicom_file"])
    if decoded is not None:
        write_pixel_files(decoded, pixels_file=names["pixels_file"], display_file=names["display_file"])
    return names


def remove_files(names: dict[str, str]) -> None:
    """Remove derivative files written by :func:`write_derivatives` (relative to MEDIA_ROOT)."""
    for name in names.values():
        media_path(name).unlink(missing_ok=True)
    if "display_file" in names:
        media_path(display_raw_name(names["display_file"])).unlink(missing_ok=True)
        media_path(display_table_name(names["display_file"])).unlink(missing_ok=True)


def _image_fields(decoded: DecodedImage) -> dict:
    return {
        "rows": int(decoded.stored.shape[0]),
        "columns": int(decoded.stored.shape[1]),
        "bits_stored": decoded.bits_stored,
        "photometric_interpretation": decoded.photometric_interpretation,
        "rescale_slope": decoded.rescale_slope,
        "rescale_intercept": decoded.rescale_intercept,
        "window_center": decoded.window_center,
        "window_width": decoded.window_width,
        "pixel_spacing": list(decoded.pixel_spacing) if decoded.pixel_spacing else None,
    }


def _header_fields(header: RadiographHeader) -> dict:
    """The image fields from the header; a window the header lacks is computed with the pixels later."""
    center, width = header.window or (None, None)
    return {
        "rows": header.rows,
        "columns": header.columns,
        "bits_stored": header.bits_stored,
        "photometric_interpretation": header.photometric_interpretation,
        "rescale_slope": header.rescale_slope,
        "rescale_intercept": header.rescale_intercept,
        "window_center": center,
        "window_width": width,
        "pixel_spacing": list(header.pixel_spacing) if header.pixel_spacing else None,
    }


def source_sha256(path: Path | str) -> str:
    """The SHA-256 (hex) of a source file, read in chunks; :class:`InvalidInput` naming it if unreadable."""
    try:
        with Path(path).open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read file: {exc.strerror}") from exc


def read_source(path: Path | str, *, digest: str | None = None) -> tuple[bytes, str]:
    """The bytes of a source file and their SHA-256 (hex); :class:`InvalidInput` naming it if unreadable.

    With ``digest`` (the hash a batch import computed when it checked the file against the images already
    imported), the content is not hashed again.
    """
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read file: {exc.strerror}") from exc
    return content, digest or hashlib.sha256(content).hexdigest()


def image_prepare_dicom(*, path: Path | str, content: bytes | None, digest: str) -> PreparedImage:
    """Read, check and de-identify (PS3.15 Annex E) one DICOM file; write the de-identified DICOM.

    The pixels are not decoded here (see :mod:`.dicomio.header`): the pixel file, display table and, where the
    header has none, the window are derived from the stored DICOM when first read (:mod:`.pixels`).
    Raises :class:`InvalidInput` naming ``path`` for a non-DICOM, corrupt, non-image or undecodable file
    (as far as the header and the start of the pixel data show),
    and for burned-in annotation where ``DEID_BURNED_IN_ANNOTATION`` is ``"refuse"``; nothing is written
    in that case. ``content`` None: the file is read from ``path`` (no copy of its bytes in memory).
    """
    try:
        ds = pydicom.dcmread(io.BytesIO(content) if content is not None else Path(path))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    except InvalidDicomError as exc:
        raise InvalidInput(f"{path}: not a DICOM file ({exc})") from exc
    except Exception as exc:  # truncated or malformed element streams raise many types
        raise InvalidInput(f"{path}: corrupt DICOM file ({type(exc).__name__}: {exc})") from exc
    try:
        return _prepare_dataset(ds, path=path, digest=digest)
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        NotImplementedError,
    ) as exc:
        # pydicom converts values when they are read: a malformed one (a NUL in a number, an unknown VR)
        # raises here
        raise InvalidInput(f"{path}: malformed DICOM attribute value ({type(exc).__name__}: {exc})") from exc


def _prepare_dataset(ds: pydicom.Dataset, *, path: Path | str, digest: str) -> PreparedImage:
    modality = str(ds.get("Modality", ""))
    if modality in NON_IMAGE_MODALITIES:
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
    # a sex DICOM does not define is unknown
    sex = SEXES.get(str(ds.get("PatientSex", "")).strip().upper(), "")
    view_position = str(ds.get("ViewPosition", "")).upper()
    key = patient_key(source_ids["PatientID"] or f"unknown:{ds.StudyInstanceUID}")
    # The header and a cheap check of the pixel data; the pixels are decoded from the stored DICOM when first
    # read (readingroom.studies.pixels), unless the header cannot vouch for them (then they are decoded now).
    header = radiograph_header(ds, source=str(path))
    decoded = decode_radiograph(ds, source=str(path)) if header is None else None
    fields = _header_fields(header) if header is not None else _image_fields(decoded)  # type: ignore[arg-type]
    dataset_deidentify(ds, pseudonym=key[:16], date_offset_days=date_offset_days(key), remap_uid=remap_uid)
    # the de-identified DICOM is the first file written: a value that cannot be written fails before any other
    files = write_derivatives(decoded, digest, dicom=ds)
    return PreparedImage(
        source=str(path),
        digest=digest,
        patient_key=key,
        sex=sex,
        study_uid=str(ds.StudyInstanceUID),
        sop_uid=str(ds.SOPInstanceUID),
        source_sop_uid=source_ids["SOPInstanceUID"],
        modality=modality,
        view_position=view_position,
        image_fields={**fields, "burned_in_annotation": burned_in},
        files=files,
        source_identifiers=source_ids if settings.DEID_STORE_SOURCE_IDENTIFIERS else {},
    )


def decode_bitmap(path: Path | str, content: bytes) -> DecodedImage:
    """A grayscale PNG or JPEG (8 or 16 bits) as a :class:`DecodedImage`; colour images are made gray."""
    try:
        img = PILImage.open(io.BytesIO(content))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable PNG or JPEG image ({exc})") from exc
    if img.mode in {"I;16", "I;16B", "I;16L", "I"}:
        stored = np.asarray(img, dtype=np.int64).clip(0, 65535).astype(np.uint16)
        bits = 16
    else:
        stored = np.asarray(img.convert("L"), dtype=np.uint16)
        bits = 8
    if stored.ndim != 2 or min(stored.shape) < 1:
        raise InvalidInput(f"{path}: image has shape {stored.shape}, expected a 2-D grayscale image")
    top = float(2**bits)
    values = np.arange(65536)
    table = (np.minimum(values, 255) if bits == 8 else np.rint(values / 257.0)).astype(np.uint8)
    return DecodedImage(
        stored=np.ascontiguousarray(stored), display_table=table, bits_stored=bits,
        photometric_interpretation="MONOCHROME2", rescale_slope=1.0, rescale_intercept=0.0,
        window_center=top / 2.0, window_width=top, pixel_spacing=None,
    )  # fmt: skip


def image_prepare_bitmap(*, path: Path | str, content: bytes, digest: str, metadata: dict) -> PreparedImage:
    """Decode and render a PNG/JPEG radiograph with its metadata; write its derivatives.

    ``metadata`` keys (all optional): ``patient_id``, ``study_id``, ``sex`` (M/F), ``view_position``,
    ``modality``, ``indication``, ``history``, ``dataset_image_id`` (the image's id in a public de-identified
    data set, kept for matching gaze files). The source ids become pseudonymous keys and platform UIDs;
    without a ``study_id`` each image is its own study.
    """
    checked = bitmap_metadata_clean(metadata, path=path)
    decoded = decode_bitmap(path, content)
    patient_id = str(metadata.get("patient_id") or f"unknown:{digest}")
    study_id = str(metadata.get("study_id") or f"image:{digest}")
    key = patient_key(patient_id)
    files = write_derivatives(decoded, digest)
    return PreparedImage(
        source=str(path),
        digest=digest,
        patient_key=key,
        sex=checked["sex"],
        study_uid=remap_uid(f"bitmap-study:{patient_id}:{study_id}"),
        sop_uid=remap_uid(f"bitmap-image:{digest}"),
        source_sop_uid=f"bitmap-image:{digest}",
        modality=checked["modality"],
        view_position=checked["view_position"],
        image_fields=_image_fields(decoded),
        files=files,
        source_identifiers=(
            {"patient_id": patient_id, "study_id": study_id} if settings.DEID_STORE_SOURCE_IDENTIFIERS else {}
        ),
        study_fields={k: str(metadata[k]) for k in ("indication", "history") if metadata.get(k)},
        dataset_image_id=str(metadata.get("dataset_image_id") or "")[:128],
    )


def image_prepare(
    *, path: Path | str, metadata: dict | None = None, digest: str | None = None
) -> PreparedImage:
    """Prepare a DICOM file, or a PNG/JPEG file (by its suffix) with its ``metadata``; see above.

    ``digest``: the file's SHA-256 where the caller has just computed it (see :func:`read_source`); a DICOM
    file is then read by pydicom from its path, not first into memory.
    """
    is_bitmap = Path(path).suffix.lower() in BITMAP_SUFFIXES
    if digest is not None and not is_bitmap:
        return image_prepare_dicom(path=path, content=None, digest=digest)
    content, digest = read_source(path, digest=digest)
    if is_bitmap:
        return image_prepare_bitmap(path=path, content=content, digest=digest, metadata=metadata or {})
    return image_prepare_dicom(path=path, content=content, digest=digest)

"""Re-applying the current de-identification profile to the DICOM files already stored.

Files imported under an older profile (an older edition of the Annex E table, or before a safety-net rule)
may still hold attributes the current profile removes. Re-applying it to the stored (already de-identified)
copy keeps what identifies the image inside the platform: UIDs are mapped to themselves, dates are not
shifted again and the patient's pseudonym stays; everything the profile removes, empties or replaces is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pydicom

from readingroom.core.files import media_path, media_write
from readingroom.studies.dicomio.deid import dataset_deidentify
from readingroom.studies.models import Image
from readingroom.studies.prepare import dicom_bytes


@dataclass
class RedeidResult:
    """Files rewritten, and per-image errors (``image id: message``)."""

    rewritten: int = 0
    errors: list[str] = field(default_factory=list)


def stored_dicom_redeidentify(*, progress: Callable[[Image], None] | None = None) -> RedeidResult:
    """Re-apply the current profile to every image's stored DICOM file (atomically, one file at a time)."""
    result = RedeidResult()
    for image in Image.objects.exclude(dicom_file="").select_related("study__patient").order_by("pk"):
        try:
            ds = pydicom.dcmread(media_path(image.dicom_file))
        except (OSError, pydicom.errors.InvalidDicomError) as exc:
            result.errors.append(f"image {image.pk}: cannot read its stored DICOM ({exc})")
            continue
        pseudonym = str(ds.get("PatientID", "") or image.study.patient.key[:16])
        dataset_deidentify(ds, pseudonym=pseudonym, date_offset_days=0, remap_uid=lambda uid: uid)
        media_write(image.dicom_file, dicom_bytes(ds))
        result.rewritten += 1
        if progress is not None:
            progress(image)
    return result

"""De-identification of real files keeps what the profile keeps as read: the same bytes, never re-encoded.

The import walks a read data set by tag (:meth:`.deid._Deidentifier.apply`) and converts only what the profile
changes or inspects; an element it keeps is written back with its original bytes, which is what makes writing
the de-identified DICOM cost what pydicom's own read + save costs.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from readingroom.studies.dicomio.deid import (
    _CODE_MEANING,
    _INSPECTED_VRS,
    ACTIONS,
    _is_removed_group,
    _vr_of,
    dataset_deidentify,
    resolve_action,
)
from readingroom.studies.prepare import image_prepare, remap_uid
from tests.conftest import rg1_uncr, shared_data

SAMPLES = [
    "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm",
    "Fake_MONOHR1.dcm",
    "RG1_UNCR.dcm",
]


def _sample(name: str) -> Path:
    return rg1_uncr() if name == "RG1_UNCR.dcm" else shared_data("cxr_dicom_samples", name)


def _fate(source: pydicom.Dataset, tag) -> str:
    """``"removed"``, ``"kept"`` (as read) or ``"changed"`` (may be converted) for a top-level element."""
    number = int(tag)
    if _is_removed_group(number):
        return "removed"
    action = ACTIONS.get(number)
    vr = _vr_of(source.get_item(tag), number)
    if action is None:
        return "changed" if vr in _INSPECTED_VRS or number == _CODE_MEANING else "kept"
    action = resolve_action(action)
    if action == "X":
        return "removed"
    return "kept" if action == "K" and vr != "SQ" else "changed"


@pytest.mark.parametrize("name", SAMPLES)
def test_kept_elements_stay_as_read_and_are_written_with_their_original_bytes(name, settings):
    path = _sample(name)
    source = pydicom.dcmread(path)
    fates = {tag: _fate(source, tag) for tag in source.keys()}
    kept = [tag for tag, fate in fates.items() if fate == "kept"]
    removed = [tag for tag, fate in fates.items() if fate == "removed"]
    assert len(kept) > 10 and removed  # the samples exercise both

    ds = pydicom.dcmread(path)
    dataset_deidentify(ds, pseudonym="p" * 16, date_offset_days=-100, remap_uid=remap_uid)
    # never decoded; pydicom itself converts the character set on reading and the pixel representation for
    # elements whose VR depends on it
    own = {0x00080005, 0x00280103}
    assert [t for t in kept if t not in own and source.get_item(t).is_raw and not ds.get_item(t).is_raw] == []

    prepared = image_prepare(path=path)
    stored = pydicom.dcmread(settings.MEDIA_ROOT / prepared.files["dicom_file"])
    changed_bytes = [f"{tag}" for tag in kept if stored.get_item(tag).value != source.get_item(tag).value]
    assert changed_bytes == []
    assert [f"{tag}" for tag in removed if tag in stored] == []
    assert stored.PatientID == prepared.patient_key[:16] and stored.PatientIdentityRemoved == "YES"

"""De-identification against the whole PS3.15 Annex E table, read from its maintained machine-readable copy.

Every attribute of Table E.1-1 is filled with a recognisable value, at the top level and inside a sequence
the table does not list; after de-identification no element anywhere may still hold one of those values.
"""

from __future__ import annotations

import io

import pydicom
import pytest
from dicomanonymizer.dicom_anonymization_databases import dicomfields_2026c as annex_e
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from readingroom.curation.exports import version_export
from readingroom.curation.services import dataset_create, dataset_version_freeze
from readingroom.studies.dicomio import deid_table
from readingroom.studies.dicomio.deid import ACTIONS, dataset_deidentify
from readingroom.studies.prepare import remap_uid
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import write_dicom

SECRET = "SECRET7731"
DATE, DATETIME, TIME = "19710304", "19710304101500", "101500"
NUMBERS = {7731, 77.31}
_CONTAINER = 0x00082218  # Anatomic Region Sequence: not in the table, so de-identification walks into it


def _table() -> tuple[list[int], list[tuple[int, int, int, int]]]:
    """Single tags and tag ranges of the package's table (read here, independently of the platform)."""
    single, ranges = [], []
    for entry in annex_e.ALL_TAGS:
        if len(entry) == 4:
            ranges.append(entry)
        else:
            single.append((entry[0] << 16) | entry[1])
    return sorted(set(single)), ranges


def _vr(tag: int) -> str:
    try:
        return dictionary_VR(tag).split(" or ")[0]
    except KeyError:
        return "LO"  # an attribute newer than pydicom's dictionary: text is what a file would carry


def _value(vr: str, uid: str):
    if vr == "SQ":
        item = Dataset()
        item.PatientName = f"Doe^{SECRET}"
        item.CodeMeaning = SECRET
        return Sequence([item])
    values = {
        "PN": f"Doe^{SECRET}", "DA": DATE, "DT": DATETIME, "TM": TIME, "UI": uid, "AS": "042Y",
        "DS": "77.31", "IS": "7731", "US": 7731, "SS": 7731, "UL": 7731, "SL": 7731, "FL": 77.31, "FD": 77.31,
        "OB": SECRET.encode(), "OW": SECRET.encode(), "UN": SECRET.encode(), "UR": f"http://{SECRET}.example",
    }  # fmt: skip
    return values.get(vr, SECRET)


def _fill(ds: Dataset, tags: list[int], ranges, uids: list[str]) -> None:
    for tag in tags:
        if tag >> 16 == 0x0002:
            continue  # file meta: set on ds.file_meta by the caller
        vr = _vr(tag)
        uids.append(f"1.2.826.0.1.3680043.10.7731.{len(uids) + 1}")
        ds.add_new(tag, vr, _value(vr, uids[-1]))
    for group, element, _, _ in ranges:
        for g in (group, group + 0x02):
            ds.add_new((g << 16) | (element or 0x3000), "OB", SECRET.encode())


def _survivors(ds: Dataset, uids: set[str], path: str = "") -> list[str]:
    """Every element (recursively) that still holds one of the planted values."""
    found = []
    for elem in ds:
        where = f"{path}{elem.keyword or elem.tag}"
        if elem.VR == "SQ":
            for item in elem.value or []:
                found += _survivors(item, uids, where + ">")
            continue
        values = (
            elem.value if isinstance(elem.value, list | tuple | pydicom.multival.MultiValue) else [elem.value]
        )
        for value in values:
            if value is None:
                continue
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if (
                SECRET in text
                or "Doe" in text
                or text in uids
                or text in {"042Y", TIME}
                or text.startswith(DATE)
                or (isinstance(value, int | float) and value in NUMBERS)
                or (elem.VR in {"DS", "IS"} and float(value) in NUMBERS)
            ):
                found.append(f"{where}={text!r}")
    return found


def test_the_platform_uses_the_whole_maintained_table():
    tags, ranges = _table()
    assert deid_table.EDITION == annex_e.__name__.rsplit(".", 1)[-1]
    assert len(tags) > 600 and set(tags) == set(ACTIONS)
    assert [r[:4] for r in deid_table.MASKED_ROWS] == [tuple(r) for r in ranges]


def _as_read(ds: Dataset, implicit: bool | None) -> Dataset:
    """``ds`` encoded (implicit or explicit VR, little endian) and read back, so that its elements are pydicom's
    raw elements as in an import (``None``: ``ds`` itself, its elements built in memory). The table's command
    elements (group 0000) rule out a DICOM file: the data set alone is encoded."""
    if implicit is None:
        return ds
    buf = DicomBytesIO()
    buf.is_implicit_VR, buf.is_little_endian = implicit, True
    write_dataset(buf, ds)
    read = read_dataset(io.BytesIO(buf.getvalue()), implicit, True)
    read.file_meta = ds.file_meta
    return read


@pytest.mark.parametrize(
    "implicit", [None, False, True], ids=["in-memory", "explicit-vr-read", "implicit-vr-read"]
)
def test_every_attribute_of_the_table_loses_its_identifying_value_also_in_sequences(implicit):
    tags, ranges = _table()
    assert _CONTAINER not in ACTIONS
    uids: list[str] = []
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.7731.0"
    uids.append(ds.file_meta.MediaStorageSOPInstanceUID)
    _fill(ds, tags, ranges, uids)
    nested = Dataset()
    _fill(nested, tags, ranges, uids)
    deeper = Dataset()
    _fill(deeper, tags, ranges, uids)
    nested.add_new(_CONTAINER, "SQ", Sequence([deeper]))
    ds.add_new(_CONTAINER, "SQ", Sequence([nested]))
    assert len(_survivors(ds, set(uids))) > 3 * len(tags)  # the check sees what was planted
    ds = _as_read(ds, implicit)
    if implicit is not None:
        assert any(ds.get_item(tag).is_raw for tag in ds.keys())

    dataset_deidentify(ds, pseudonym="p" * 16, date_offset_days=-100, remap_uid=remap_uid)

    assert _survivors(ds, set(uids)) == []
    assert ds.file_meta.MediaStorageSOPInstanceUID not in uids
    assert _CONTAINER in ds and ds[_CONTAINER].value[0][_CONTAINER].value  # the unlisted sequences are kept


@pytest.mark.django_db
def test_attributes_the_hand_written_table_missed_leave_the_stored_dicom_and_the_sr_export(
    tmp_path, settings
):
    procedure = Dataset()
    procedure.CodeValue, procedure.CodingSchemeDesignator = "XR-7731", "99LOCAL"
    procedure.CodeMeaning = f"Chest for {SECRET}"
    region = Dataset()
    region.CodeValue, region.CodingSchemeDesignator, region.CodeMeaning = "43799004", "SCT", f"Chest {SECRET}"
    path = write_dicom(
        tmp_path / "trial.dcm", PatientBirthDate=DATE, ReasonForTheRequestedProcedure=f"Doe^{SECRET}",
        ClinicalTrialSponsorName=SECRET, ClinicalTrialSiteName=SECRET, ClinicalTrialSubjectID=SECRET,
        ScheduledProcedureStepID=SECRET, DerivationDescription=SECRET, ProcedureCodeSequence=[procedure],
        AnatomicRegionSequence=[region], StudyDescription=SECRET,
    )  # fmt: skip
    image = image_import_dicom(path=path).image
    stored_path = settings.MEDIA_ROOT / image.dicom_file
    assert SECRET.encode() not in stored_path.read_bytes()
    stored = pydicom.dcmread(stored_path)
    assert not stored.get("PatientBirthDate"), "Patient's Birth Date is emptied, never shifted"
    assert stored.ProcedureCodeSequence[0].CodeMeaning == "ANONYMIZED"  # a local code: a dummy meaning
    assert stored.AnatomicRegionSequence[0].CodeMeaning == "Thoracic cavity structure (body structure)"
    assert stored.AnatomicRegionSequence[0].CodeValue == "43799004"

    version = dataset_version_freeze(dataset=dataset_create(name="sr"), seed=0)
    files = version_export(version=version, format="sr", root=tmp_path / "out")
    sr_files = files if isinstance(files, list) else sorted((tmp_path / "out").rglob("*.dcm"))
    assert sr_files
    for sr in sr_files:
        assert SECRET.encode() not in sr.read_bytes() and DATE.encode() not in sr.read_bytes()


@pytest.mark.django_db
def test_uid_remapping_needs_the_installation_salt(settings):
    source = "1.2.840.113619.2.55.3.7731"
    settings.PATIENT_KEY_SALT = "installation-one"
    first = remap_uid(source)
    settings.PATIENT_KEY_SALT = "installation-two"
    second = remap_uid(source)
    assert first != second, "the remapped UID must depend on the installation's salt"
    assert generate_uid(entropy_srcs=[source]) not in {first, second}, "recomputable from the source UID"
    assert remap_uid(source) == second  # deterministic within one installation


@pytest.mark.django_db
def test_files_stored_under_an_older_profile_are_de_identified_again(tmp_path, settings):
    from django.core.management import call_command

    image = image_import_dicom(path=write_dicom(tmp_path / "s.dcm", StudyDate="20200101")).image
    stored_path = settings.MEDIA_ROOT / image.dicom_file
    before = pydicom.dcmread(stored_path)
    before.ClinicalTrialSponsorName = SECRET  # as an older, partial table left it
    before.ReasonForTheRequestedProcedure = f"Doe^{SECRET}"
    before.save_as(stored_path)
    call_command("redeidentify_stored")
    after = pydicom.dcmread(stored_path)
    assert SECRET.encode() not in stored_path.read_bytes()
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate", "PatientID"):
        assert after[keyword].value == before[keyword].value, keyword
    assert (
        after.SOPInstanceUID == image.sop_uid and after.file_meta.MediaStorageSOPInstanceUID == image.sop_uid
    )

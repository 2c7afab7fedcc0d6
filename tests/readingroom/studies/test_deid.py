"""De-identification on import by the PS3.15 Annex E Basic Profile."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.dicomio.deid import ACTIONS, resolve_action
from readingroom.studies.dicomio.deid_table import BASIC_PROFILE
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db

_SECRET = "SECRET7731"
_VALUES = {"DA": "20190314", "DT": "20190314101500", "TM": "101500", "PN": f"Doe^{_SECRET}",
           "UI": "1.2.3.4.5.6.7731", "AS": "042Y", "DS": "73.5", "IS": "7731", "US": 7731, "FD": 7.731, "CS": "SECRET7731", "AE": "SECRET7731"}  # fmt: skip


def _value(vr: str):
    return _VALUES.get(vr, _SECRET)


def _identifying_dicom(path, **extra):
    """A CR file with every scalar attribute of the profile set to a recognisable value."""
    write_dicom(path, **extra)
    ds = pydicom.dcmread(path)
    planted = {}
    for tag, keyword, _ in BASIC_PROFILE:
        if not keyword:
            continue  # newer than pydicom's dictionary: test_deid_annex_e fills these too
        vr = dictionary_VR(tag)
        if tag >> 16 in (0x0000, 0x0002) or vr in {
            "SQ",
            "OB",
            "OW",
            "UN",
            "OB or OW",
            "US or SS",
            "AT",
            "UV",
            "SV",
        }:
            continue
        if keyword in {"SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"}:
            planted[keyword] = str(ds[keyword].value)
            continue
        ds.add_new(tag, vr, _value(vr))
        planted[keyword] = _value(vr)
    person = Dataset()
    person.PersonName = f"Smith^{_SECRET}"
    person.ReferencedSOPInstanceUID = "1.2.3.4.5.6.7731.2"
    ds.ReferencedImageSequence = Sequence([person])
    ds.add_new(0x00091010, "LO", f"private {_SECRET}")
    ds.add_new(0x60004000, "LT", f"overlay comment {_SECRET}")
    ds.save_as(path)
    return planted


def test_table_rows_are_well_formed():
    tags = [tag for tag, _, _ in BASIC_PROFILE]
    assert len(tags) == len(set(tags)) > 200
    for tag, keyword, action in BASIC_PROFILE:
        assert pydicom.datadict.keyword_for_tag(tag) == keyword
        assert set(action.replace("*", "").split("/")) <= set("DZXKCU"), keyword
    assert resolve_action("X/Z/D") == "X" and resolve_action("Z/D") == "Z" and ACTIONS[0x00100010] == "Z"


def test_no_identifying_attribute_survives_import(tmp_path, settings):
    source = tmp_path / "identifying.dcm"
    planted = _identifying_dicom(source)
    original = source.read_bytes()
    image = image_import_dicom(path=source).image
    assert source.read_bytes() == original, "the original file must stay untouched"
    assert image.dicom_file and image.source_identifiers == {}
    stored = settings.MEDIA_ROOT / image.dicom_file
    raw = stored.read_bytes()
    assert _SECRET.encode() not in raw
    ds = pydicom.dcmread(stored)
    survivors = []
    for keyword, value in planted.items():
        if keyword in ds and ds[keyword].value not in (None, "", []):
            if str(ds[keyword].value) == str(value):
                survivors.append(keyword)
    assert survivors == []
    for uid in (
        "1.2.3.4.5.6.7731",
        "1.2.3.4.5.6.7731.2",
        planted["SOPInstanceUID"],
        planted["StudyInstanceUID"],
    ):
        assert uid.encode() not in raw
    assert ds.SOPInstanceUID == image.sop_uid and ds.file_meta.MediaStorageSOPInstanceUID == image.sop_uid
    assert ds.StudyInstanceUID == image.study.study_uid
    assert ds.PatientIdentityRemoved == "YES"
    assert "Annex E" in ds.DeidentificationMethod[0]
    assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]
    assert not any(elem.tag.is_private for elem in ds)
    assert 0x60004000 not in ds
    assert "ReferencedImageSequence" not in ds
    assert ds.StudyDate != "20190314" and len(ds.StudyDate) == 8
    # pixels are untouched
    assert ds.pixel_array.tobytes() == pydicom.dcmread(source).pixel_array.tobytes()


def test_dates_shift_by_the_same_days_per_patient_and_uids_remap_consistently(tmp_path, settings):
    a = write_dicom(tmp_path / "a.dcm", seed=1, StudyDate="20200101", PatientID="P-1")
    study_uid = pydicom.dcmread(a).StudyInstanceUID
    b = write_dicom(
        tmp_path / "b.dcm", seed=2, StudyDate="20200111", PatientID="P-1", StudyInstanceUID=study_uid
    )
    c = write_dicom(tmp_path / "c.dcm", seed=3, StudyDate="20200101", PatientID="P-2")
    images = [image_import_dicom(path=p).image for p in (a, b, c)]
    dates = [pydicom.dcmread(settings.MEDIA_ROOT / i.dicom_file).StudyDate for i in images]
    parsed = [pydicom.valuerep.DA(d) for d in dates]
    assert (parsed[1] - parsed[0]).days == 10
    assert dates[0] != "20200101" and dates[0] != dates[2]
    assert images[0].study_id == images[1].study_id != images[2].study_id
    assert images[0].study.patient_id == images[1].study.patient_id


def test_burned_in_annotation_refused_or_flagged_by_setting(tmp_path, settings):
    path = write_dicom(tmp_path / "burned.dcm", BurnedInAnnotation="YES")
    settings.DEID_BURNED_IN_ANNOTATION = "refuse"
    with pytest.raises(InvalidInput, match="burned.dcm: BurnedInAnnotation"):
        image_import_dicom(path=path)
    settings.DEID_BURNED_IN_ANNOTATION = "flag"
    assert image_import_dicom(path=path).image.burned_in_annotation is True


def test_source_identifiers_stored_only_when_the_setting_says_so(tmp_path, settings):
    settings.DEID_STORE_SOURCE_IDENTIFIERS = True
    path = write_dicom(tmp_path / "keep.dcm", PatientID="KEEP-1")
    assert image_import_dicom(path=path).image.source_identifiers["PatientID"] == "KEEP-1"


def test_unlisted_person_names_and_dates_do_not_survive(tmp_path, settings):
    path = write_dicom(tmp_path / "extra.dcm", ExpiryDate="20190314")  # a date the table does not list
    ds = pydicom.dcmread(path)
    ds.EvaluatorName = "Evaluator^Unlisted"  # a PN attribute the table does not list
    ds.save_as(path)
    stored_path = settings.MEDIA_ROOT / image_import_dicom(path=path).image.dicom_file
    stored = pydicom.dcmread(stored_path)
    assert stored.ExpiryDate != "20190314" and len(stored.ExpiryDate) == 8
    assert b"Unlisted" not in stored_path.read_bytes()

"""QIDO-RS (PS3.18 10.6): matching, paging, includefield, required attributes, errors and warnings."""

from __future__ import annotations

import pytest
from pydicom.datadict import tag_for_keyword

from readingroom.studies.dicomweb.qido import INSTANCE_REQUIRED, STUDY_REQUIRED

pytestmark = pytest.mark.django_db


def _value(result: dict, keyword: str):
    return result.get(f"{tag_for_keyword(keyword):08X}", {}).get("Value", [None])[0]


def _search(archive, path: str = "studies", **params) -> list[dict]:
    response = archive.api.get(f"/api/dicomweb/{path}", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    return response.json()


def _uids(results: list[dict], keyword: str = "StudyInstanceUID") -> list[str]:
    return [_value(r, keyword) for r in results]


def test_limit_and_offset_page_through_the_studies(archive):
    everything = _uids(_search(archive))
    assert len(everything) == 3
    pages = [_uids(_search(archive, limit=2, offset=offset)) for offset in (0, 2, 4)]
    assert pages[0] + pages[1] == everything and len(pages[0]) == 2
    assert pages[2] == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"NoSuchKey": "1"}, "NoSuchKey"),
        ({"includefield": "NotAnAttribute"}, "NotAnAttribute"),
        ({"StudyDate": "2024-01-10"}, "StudyDate"),
        ({"StudyDate": "20240110-20240111-20240112"}, "StudyDate"),
        ({"SeriesNumber": "one"}, "SeriesNumber"),
        ({"PatientID": "a\x00b"}, "PatientID"),
        ({"PixelData": "1"}, "PixelData"),
        ({"fuzzymatching": "maybe"}, "fuzzymatching"),
    ],
)
def test_bad_parameters_are_400s_naming_them(archive, params, named):
    response = archive.api.get("/api/dicomweb/studies", params)
    assert response.status_code == 400
    assert named in response.json()["detail"]


def test_study_results_hold_the_required_attributes_in_tag_order(archive):
    for result in _search(archive):
        tags = list(result)
        assert tags == sorted(tags)
        missing = [k for k in STUDY_REQUIRED if f"{tag_for_keyword(k):08X}" not in result]
        assert missing == []
    study = next(
        r for r in _search(archive) if _value(r, "StudyInstanceUID") == archive.two_series.study.study_uid
    )
    assert study["00080061"]["Value"] == ["CR", "DX"]
    assert (_value(study, "NumberOfStudyRelatedSeries"), _value(study, "NumberOfStudyRelatedInstances")) == (
        2,
        2,
    )
    assert _value(study, "RetrieveURL").endswith(
        f"/api/dicomweb/studies/{archive.two_series.study.study_uid}"
    )


def test_instance_results_hold_the_required_attributes(archive):
    results = _search(archive, "instances")
    assert len(results) == 4
    for result in results:
        assert [k for k in INSTANCE_REQUIRED if f"{tag_for_keyword(k):08X}" not in result] == []
        assert list(result) == sorted(result)
    bitmap = next(r for r in results if _value(r, "SOPInstanceUID") == archive.bitmap.sop_uid)
    assert _value(bitmap, "SOPClassUID") == "1.2.840.10008.5.1.4.1.1.7"
    assert (_value(bitmap, "BitsAllocated"), _value(bitmap, "Rows"), _value(bitmap, "Columns")) == (
        16,
        30,
        20,
    )


def test_study_date_exact_and_range_matching(archive):
    dates = {_value(r, "StudyInstanceUID"): _value(r, "StudyDate") for r in _search(archive)}
    a_uid, b_uid = archive.two_series.study.study_uid, archive.single.study.study_uid
    a, b = dates[a_uid], dates[b_uid]
    assert a and b and a != b  # shifted by de-identification, but stored
    assert _uids(_search(archive, StudyDate=a)) == [a_uid]
    assert set(_uids(_search(archive, StudyDate=f"{min(a, b)}-{max(a, b)}"))) == {a_uid, b_uid}
    assert _uids(_search(archive, StudyDate=f"-{min(a, b)}")) == [a_uid if a < b else b_uid]
    assert _uids(_search(archive, StudyDate=f"{max(a, b)}-")) == [b_uid if a < b else a_uid]
    assert _search(archive, StudyDate="19000101-19000102") == []


def test_modality_matching_at_series_and_study_level(archive):
    series = _search(archive, "series", Modality="DX")
    assert _uids(series, "SOPInstanceUID") == [None, None]
    assert {_value(s, "StudyInstanceUID") for s in series} == {
        archive.two_series.study.study_uid,
        archive.single.study.study_uid,
    }
    assert all(_value(s, "Modality") == "DX" for s in series)
    assert _uids(_search(archive, ModalitiesInStudy="CR")) == [archive.two_series.study.study_uid]
    assert len(_search(archive, ModalitiesInStudy="CR\\DX")) == 2
    assert _search(archive, ModalitiesInStudy="MR") == []


def test_uid_lists_and_wildcards(archive):
    wanted = [archive.single.sop_uid, archive.bitmap.sop_uid]
    found = _search(archive, "instances", SOPInstanceUID=",".join(wanted))
    assert sorted(_uids(found, "SOPInstanceUID")) == sorted(wanted)
    (study,) = _search(archive, StudyInstanceUID=archive.single.study.study_uid)
    key = _value(study, "PatientID")
    assert _uids(_search(archive, PatientID=key[:5] + "*")) == [archive.single.study.study_uid]
    assert _uids(_search(archive, PatientID="?" + key[1:])) == [archive.single.study.study_uid]
    assert _search(archive, PatientID=key[:5]) == []
    assert len(_search(archive, PatientID="*")) == 3


def test_study_and_series_scoped_instance_searches(archive):
    study = archive.two_series.study.study_uid
    in_study = _search(archive, f"studies/{study}/instances")
    assert sorted(_uids(in_study, "SOPInstanceUID")) == sorted(
        [archive.two_series.sop_uid, archive.second.sop_uid]
    )
    (series,) = _search(archive, f"studies/{study}/series", Modality="DX")
    series_uid = _value(series, "SeriesInstanceUID")
    (only,) = _search(archive, f"studies/{study}/series/{series_uid}/instances")
    assert _value(only, "SOPInstanceUID") == archive.second.sop_uid
    assert archive.api.get("/api/dicomweb/studies/1.2.3/instances").status_code == 404


def test_includefield_adds_attributes_and_all_adds_every_one(archive):
    (plain,) = _search(archive, "instances", SOPInstanceUID=archive.single.sop_uid)
    assert "00185101" not in plain  # ViewPosition is not a required instance attribute
    (named,) = _search(
        archive, "instances", SOPInstanceUID=archive.single.sop_uid, includefield="ViewPosition"
    )
    assert named["00185101"]["Value"] == ["PA"]
    (by_tag,) = _search(archive, "instances", SOPInstanceUID=archive.single.sop_uid, includefield="00280030")
    assert by_tag["00280030"]["Value"] == [0.2, 0.2]
    (everything,) = _search(archive, "instances", SOPInstanceUID=archive.single.sop_uid, includefield="all")
    assert {"00185101", "00280030", "00281050", "00120062"} <= set(everything)
    assert "7FE00010" not in everything


def test_unsupported_features_get_a_warning_header(archive):
    response = archive.api.get("/api/dicomweb/studies", {"fuzzymatching": "true"})
    assert response.status_code == 200
    assert response["Warning"].startswith("299 ") and "fuzzymatching" in response["Warning"]
    response = archive.api.get(
        "/api/dicomweb/studies", {"ReferencedStudySequence.ReferencedSOPInstanceUID": "1.2"}
    )
    assert response.status_code == 200 and "sequence matching" in response["Warning"]
    response = archive.api.get("/api/dicomweb/studies", {"limit": "5000"})
    assert response.status_code == 200 and "maximum" in response["Warning"]
    assert "Warning" not in archive.api.get("/api/dicomweb/studies", {"fuzzymatching": "false"})


def test_readers_search_only_their_worklist(archive, reader):
    from rest_framework.test import APIClient

    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign

    project_assign(
        project=ReadingProject.objects.create(name="p"), reader=reader, studies=[archive.single.study]
    )
    api = APIClient()
    api.force_authenticate(reader)
    for path in ("studies", "series", "instances"):
        results = api.get(f"/api/dicomweb/{path}").json()
        assert {_value(r, "StudyInstanceUID") for r in results} == {archive.single.study.study_uid}
    assert api.get(f"/api/dicomweb/studies/{archive.bitmap.study.study_uid}/instances").status_code == 403


def test_a_search_or_metadata_in_xml_only_is_406(archive):
    xml = 'multipart/related; type="application/dicom+xml"'
    assert archive.api.get("/api/dicomweb/studies", HTTP_ACCEPT=xml).status_code == 406
    study = archive.single.study.study_uid
    assert archive.api.get(f"/api/dicomweb/studies/{study}/metadata", HTTP_ACCEPT=xml).status_code == 406
    for accept in ("application/dicom+json", "application/json", "*/*", "application/*"):
        assert archive.api.get("/api/dicomweb/studies", HTTP_ACCEPT=accept).status_code == 200


def test_searching_never_changes_the_stored_headers(archive, settings):
    import pydicom

    from readingroom.studies.dicomweb import instance_header

    path = settings.MEDIA_ROOT / archive.single.dicom_file
    ds = pydicom.dcmread(path)
    ds.StudyDescription = ""
    ds.InstanceAvailability = "NEARLINE"
    ds.save_as(path, enforce_file_format=True)
    for _ in range(2):
        (study,) = _search(archive, StudyInstanceUID=archive.single.study.study_uid)
        (instance,) = _search(archive, "instances", SOPInstanceUID=archive.single.sop_uid, includefield="all")
    assert _value(study, "StudyDescription") == archive.single.study.description
    assert _value(instance, "InstanceAvailability") == "ONLINE"
    header = instance_header(archive.single)
    assert header.StudyDescription == "" and header.InstanceAvailability == "NEARLINE"


def test_a_changed_bitmap_image_is_searched_with_its_new_values(archive):
    study = archive.bitmap.study
    (before,) = _search(archive, StudyInstanceUID=study.study_uid)
    study.description = "Chest PA, follow-up"
    study.save()
    (after,) = _search(archive, StudyInstanceUID=study.study_uid)
    assert _value(before, "StudyDescription") != "Chest PA, follow-up"
    assert _value(after, "StudyDescription") == "Chest PA, follow-up"

"""DICOMweb through daphne as a third-party client sees it: ``dicomweb-client`` searches with paging to the
end, reads metadata, retrieves studies, series and instances, frames in each offered transfer syntax and
rendered images, and everything is compared with what pydicom reads from the stored files.

(OHIF v3 cannot be built here; this suite, with the viewer's own WADO-RS calls in the browser tests, is the
issue's fallback.)
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pydicom
import pytest
import requests
from PIL import Image as PILImage

from readingroom.core.files import media_path
from readingroom.studies.derivatives import image_display_png
from tests.e2e.http import Browserless
from tests.readingroom.studies.conftest import archive_images, decode_frame

with warnings.catch_warnings():
    # dicomweb-client 0.60 imports pydicom 3's deprecated get_frame_offsets (it does not call it).
    warnings.filterwarnings("ignore", message="get_frame_offsets is deprecated", category=DeprecationWarning)
    from dicomweb_client import DICOMwebClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

LOSSLESS = [("application/octet-stream", "1.2.840.10008.1.2.1"), ("image/jls", "1.2.840.10008.1.2.4.80"),
            ("image/jp2", "1.2.840.10008.1.2.4.90")]  # fmt: skip


@pytest.fixture
def client(live_stack, tmp_path):
    from readingroom.core.services import user_create

    user_create(username="dicomweb-curator", password="dicomweb-pass-1", roles=["curator"])
    images = archive_images(tmp_path)
    browser = Browserless(live_stack.url)
    browser.login("dicomweb-curator", "dicomweb-pass-1")
    session = requests.Session()
    for cookie in browser.cookies:
        session.cookies.set(cookie.name, cookie.value)
    return DICOMwebClient(url=f"{live_stack.url}/api/dicomweb", session=session), images


def _stored(image) -> pydicom.Dataset:
    return pydicom.dcmread(media_path(image.dicom_file))


def test_search_pages_to_the_end_and_matches(client):
    dicomweb, (first, second, single, bitmap) = client
    studies = dicomweb.search_for_studies(limit=1, get_remaining=True)
    assert sorted(s["0020000D"]["Value"][0] for s in studies) == sorted(
        {first.study.study_uid, single.study.study_uid, bitmap.study.study_uid}
    )
    series = dicomweb.search_for_series(limit=2, get_remaining=True)
    assert len(series) == 4
    instances = dicomweb.search_for_instances(get_remaining=True, limit=3, fields=["ViewPosition"])
    assert sorted(i["00080018"]["Value"][0] for i in instances) == sorted(
        [first.sop_uid, second.sop_uid, single.sop_uid, bitmap.sop_uid]
    )
    assert all(i["00185101"]["Value"] == ["PA"] for i in instances)
    dx = dicomweb.search_for_series(search_filters={"Modality": "DX"})
    assert len(dx) == 2
    in_study = dicomweb.search_for_instances(study_instance_uid=first.study.study_uid)
    assert len(in_study) == 2
    date = _stored(single).StudyDate
    (only,) = dicomweb.search_for_studies(search_filters={"StudyDate": f"{date}-{date}"})
    assert only["0020000D"]["Value"] == [single.study.study_uid]


def test_metadata_and_retrieve_equal_the_stored_files(client):
    dicomweb, (first, second, single, bitmap) = client
    stored = _stored(single)
    metadata = dicomweb.retrieve_instance_metadata(
        stored.StudyInstanceUID, stored.SeriesInstanceUID, stored.SOPInstanceUID
    )
    parsed = pydicom.Dataset.from_json(metadata)
    for keyword in ("SOPInstanceUID", "Rows", "Columns", "BitsStored", "WindowCenter", "PatientID"):
        assert parsed[keyword].value == stored[keyword].value
    study = dicomweb.retrieve_study_metadata(first.study.study_uid)
    assert sorted(m["00080018"]["Value"][0] for m in study) == sorted([first.sop_uid, second.sop_uid])
    series_uid = _stored(second).SeriesInstanceUID
    (series,) = dicomweb.retrieve_series_metadata(first.study.study_uid, series_uid)
    assert series["00080018"]["Value"] == [second.sop_uid]
    retrieved = dicomweb.retrieve_instance(
        stored.StudyInstanceUID, stored.SeriesInstanceUID, stored.SOPInstanceUID
    )
    assert np.array_equal(retrieved.pixel_array, stored.pixel_array)
    whole = dicomweb.retrieve_study(first.study.study_uid)
    assert sorted(ds.SOPInstanceUID for ds in whole) == sorted([first.sop_uid, second.sop_uid])
    (one,) = dicomweb.retrieve_series(first.study.study_uid, series_uid)
    assert np.array_equal(one.pixel_array, _stored(second).pixel_array)
    sc_header = dicomweb.search_for_instances(search_filters={"SOPInstanceUID": bitmap.sop_uid})[0]
    sc = dicomweb.retrieve_instance(bitmap.study.study_uid, sc_header["0020000E"]["Value"][0], bitmap.sop_uid)
    assert sc.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert np.array_equal(sc.pixel_array.ravel(), np.fromfile(media_path(bitmap.pixels_file), dtype="<u2"))


@pytest.mark.parametrize(("media_type", "syntax"), LOSSLESS)
def test_frames_in_each_lossless_syntax_equal_pixel_array(client, media_type, syntax):
    dicomweb, (_, _, single, _) = client
    stored = _stored(single)
    (frame,) = dicomweb.retrieve_instance_frames(
        stored.StudyInstanceUID, stored.SeriesInstanceUID, stored.SOPInstanceUID, [1],
        media_types=((media_type, syntax),),
    )  # fmt: skip
    assert np.array_equal(decode_frame(frame, syntax, stored), stored.pixel_array)


def test_jpeg_frames_of_an_8_bit_image_and_rendered_images(client):
    dicomweb, (_, _, single, bitmap) = client
    series_uid = dicomweb.search_for_instances(search_filters={"SOPInstanceUID": bitmap.sop_uid})[0][
        "0020000E"
    ]
    uids = (bitmap.study.study_uid, series_uid["Value"][0], bitmap.sop_uid)
    (frame,) = dicomweb.retrieve_instance_frames(
        *uids, [1], media_types=(("image/jpeg", "1.2.840.10008.1.2.4.50"),)
    )
    pixels = np.fromfile(media_path(bitmap.pixels_file), dtype="<u2").reshape(bitmap.rows, bitmap.columns)
    assert np.abs(np.asarray(PILImage.open(io.BytesIO(frame))).astype(float) - pixels).mean() < 3
    stored = _stored(single)
    single_uids = (stored.StudyInstanceUID, stored.SeriesInstanceUID, stored.SOPInstanceUID)
    with pytest.raises(requests.HTTPError) as refused:
        dicomweb.retrieve_instance_frames(
            *single_uids, [1], media_types=(("image/jpeg", "1.2.840.10008.1.2.4.50"),)
        )
    assert refused.value.response.status_code == 406
    display = np.asarray(PILImage.open(image_display_png(single)))
    png = dicomweb.retrieve_instance_rendered(*single_uids, media_types=("image/png",))
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(png))), display)
    jpeg = dicomweb.retrieve_instance_rendered(*single_uids, media_types=("image/jpeg",))
    assert jpeg.startswith(b"\xff\xd8")
    assert np.abs(np.asarray(PILImage.open(io.BytesIO(jpeg))).astype(float) - display).mean() < 8


def test_a_long_repeated_frame_list_is_answered_once_through_daphne(client, live_stack):
    dicomweb, (_, _, single, _) = client
    stored = _stored(single)
    url = (f"{live_stack.url}/api/dicomweb/studies/{stored.StudyInstanceUID}/series/{stored.SeriesInstanceUID}"
           f"/instances/{stored.SOPInstanceUID}/frames/" + ",".join(["1"] * 200))  # fmt: skip
    response = dicomweb._session.get(url, timeout=30)
    assert response.status_code == 200
    frame_bytes = stored.Rows * stored.Columns * 2
    assert frame_bytes < len(response.content) < 2 * frame_bytes

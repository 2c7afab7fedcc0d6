"""The DICOMweb subset: QIDO-RS search and WADO-RS instance, metadata, frames and rendered retrieval."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _parts(response) -> list[bytes]:
    boundary = response["Content-Type"].split("boundary=")[1].encode()
    chunks = response.content.split(b"--" + boundary)[1:-1]
    return [c.split(b"\r\n\r\n", 1)[1][:-2] for c in chunks]


def test_qido_and_wado_for_a_reader_of_the_study(reader, assignment, image, settings):
    api = _client(reader)
    studies = api.get("/api/dicomweb/studies")
    assert studies["Content-Type"] == "application/dicom+json"
    (study,) = studies.json()
    assert study["0020000D"]["Value"] == [image.study.study_uid]
    assert api.get("/api/dicomweb/studies", {"ModalitiesInStudy": "MR"}).json() == []
    base = f"/api/dicomweb/studies/{image.study.study_uid}"
    (series,) = api.get(f"{base}/series").json()
    series_uid = series["0020000E"]["Value"][0]
    (instance,) = api.get(f"{base}/series/{series_uid}/instances").json()
    assert instance["00080018"]["Value"] == [image.sop_uid]
    url = f"{base}/series/{series_uid}/instances/{image.sop_uid}"
    metadata = api.get(f"{url}/metadata").json()[0]
    assert metadata["00120062"]["Value"] == ["YES"] and "7FE00010" not in metadata
    (dicom,) = _parts(api.get(url))
    ds = pydicom.dcmread(io.BytesIO(dicom))
    assert ds.SOPInstanceUID == image.sop_uid
    (frame,) = _parts(api.get(f"{url}/frames/1"))
    assert np.array_equal(
        np.frombuffer(frame, dtype="<u2").reshape(image.rows, image.columns), ds.pixel_array
    )
    rendered = np.asarray(PILImage.open(io.BytesIO(api.get(f"{url}/rendered").content)))
    assert np.array_equal(rendered, np.asarray(PILImage.open(settings.MEDIA_ROOT / image.display_file)))
    assert api.get(f"{url}/frames/2").status_code == 404


def test_other_readers_see_nothing(other_reader, assignment, image):
    api = _client(other_reader)
    assert api.get("/api/dicomweb/studies").json() == []
    assert api.get(f"/api/dicomweb/studies/{image.study.study_uid}/series").status_code == 403


def test_image_detail_gives_the_wado_rs_url_of_the_instance(reader, assignment, image, settings):
    api = _client(reader)
    detail = api.get(f"/api/images/{image.pk}/").json()
    header = pydicom.dcmread(settings.MEDIA_ROOT / image.dicom_file, stop_before_pixels=True)
    assert detail["study_uid"] == image.study.study_uid
    assert detail["series_uid"] == header.SeriesInstanceUID
    assert detail["sop_uid"] == image.sop_uid
    assert detail["pixels_url"] == f"/api/images/{image.pk}/pixels"
    url = detail["wado_rs_url"]
    assert url == (
        f"/api/dicomweb/studies/{image.study.study_uid}/series/{header.SeriesInstanceUID}"
        f"/instances/{image.sop_uid}"
    )
    metadata = api.get(f"{url}/metadata", HTTP_ACCEPT="application/dicom+json").json()[0]
    assert metadata["00280010"]["Value"] == [image.rows]
    assert metadata["00281050"]["Value"] == [image.window_center]
    accept = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
    (frame,) = _parts(api.get(f"{url}/frames/1", HTTP_ACCEPT=accept))
    stored = np.fromfile(settings.MEDIA_ROOT / image.pixels_file, dtype="<u2")
    assert np.array_equal(np.frombuffer(frame, dtype="<u2"), stored)


def test_a_bitmap_image_is_served_as_a_secondary_capture_instance(reader, tmp_path, settings):
    from readingroom.reading.models import ReadingProject
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_bitmap

    pixels = (np.arange(30 * 20, dtype=np.uint32).reshape(30, 20) % 256).astype(np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / "x.png")
    image = image_import_bitmap(path=tmp_path / "x.png", metadata={"view_position": "PA"}).image
    project_assign(project=ReadingProject.objects.create(name="p"), reader=reader, studies=[image.study])
    api = _client(reader)
    url = api.get(f"/api/images/{image.pk}/").json()["wado_rs_url"]
    base = f"/api/dicomweb/studies/{image.study.study_uid}"
    (series,) = api.get(f"{base}/series").json()
    assert url.startswith(f"{base}/series/{series['0020000E']['Value'][0]}/instances/{image.sop_uid}")
    metadata = api.get(f"{url}/metadata").json()[0]
    assert metadata["00080016"]["Value"] == ["1.2.840.10008.5.1.4.1.1.7"]
    assert (metadata["00280010"]["Value"], metadata["00280011"]["Value"]) == ([30], [20])
    assert (metadata["00280100"]["Value"], metadata["00280103"]["Value"]) == ([16], [0])
    assert metadata["00280101"]["Value"] == [image.bits_stored]
    assert metadata["00280004"]["Value"] == ["MONOCHROME2"]
    assert metadata["00281050"]["Value"] == [image.window_center]
    assert metadata["00281051"]["Value"] == [image.window_width]
    (frame,) = _parts(api.get(f"{url}/frames/1"))
    assert np.array_equal(np.frombuffer(frame, dtype="<u2").reshape(30, 20), pixels)
    assert api.get(url).status_code == 404
    assert api.get(f"{url}/rendered")["Content-Type"] == "image/png"

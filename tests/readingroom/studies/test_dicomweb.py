"""The DICOMweb subset: QIDO-RS search and WADO-RS instance, metadata, frames and rendered retrieval."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from rest_framework.test import APIClient

from readingroom.studies.derivatives import image_display_png
from readingroom.studies.pixels import image_pixels

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _parts(response) -> list[bytes]:
    assert response.status_code == 200, response.content if not response.streaming else response
    boundary = response["Content-Type"].split("boundary=")[1].encode()
    body = b"".join(response.streaming_content) if response.streaming else response.content
    chunks = body.split(b"--" + boundary)[1:-1]
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
    assert np.array_equal(rendered, np.asarray(PILImage.open(image_display_png(image))))
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
    stored = image_pixels(image).ravel()
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
    (dicom,) = _parts(api.get(url))
    ds = pydicom.dcmread(io.BytesIO(dicom))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert np.array_equal(ds.pixel_array, pixels)
    assert api.get(f"{url}/rendered")["Content-Type"] == "image/png"


def _frames_url(api, image) -> str:
    return api.get(f"/api/images/{image.pk}/").json()["wado_rs_url"] + "/frames/"


def test_a_repeated_frame_list_is_answered_once_per_frame_and_streamed(reader, assignment, image):
    api = _client(reader)
    response = api.get(_frames_url(api, image) + ",".join(["1"] * 200))
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    boundary = response["Content-Type"].split("boundary=")[1].encode()
    assert body.count(b"--" + boundary + b"\r\n") == 1


def test_too_many_frames_or_frames_beyond_the_instance_are_refused(reader, assignment, image):
    api = _client(reader)
    url = _frames_url(api, image)
    too_many = api.get(url + ",".join(str(n) for n in range(1, 1002)))
    assert too_many.status_code == 400
    assert "at most" in too_many.json()["detail"]
    beyond = api.get(url + "1,2")
    assert beyond.status_code == 404
    assert "frame 2" in beyond.json()["detail"]


@pytest.mark.parametrize("frames", ["\u00b2", "1,\u0661", "0", "1,,2", "-1", "abc", "1" * 30])
def test_a_bad_frame_list_is_a_400_naming_it(reader, assignment, image, frames):
    api = _client(reader)
    response = api.get(_frames_url(api, image) + frames)
    assert response.status_code == 400
    assert "frame" in response.json()["detail"]


@pytest.mark.parametrize("uid", ["1.2\x003", "1.2.abc", "1." + "2" * 70])
def test_qido_with_a_bad_uid_is_a_400(reader, assignment, image, uid):
    api = _client(reader)
    response = api.get("/api/dicomweb/studies", {"StudyInstanceUID": uid})
    assert response.status_code == 400
    assert "StudyInstanceUID" in response.json()["detail"]


def test_a_multipart_response_is_produced_part_by_part_under_asgi():
    import asyncio

    from readingroom.studies.dicomweb.responses import multipart

    produced: list[int] = []

    def parts():
        for number in range(3):
            produced.append(number)
            yield "application/octet-stream", bytes([number]) * 10

    response = multipart(parts(), "application/octet-stream")

    async def first_chunk() -> bytes:
        return await response.__aiter__().__anext__()

    assert asyncio.run(first_chunk()).startswith(b"--")
    assert produced == [0]

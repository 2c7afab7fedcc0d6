"""WADO-RS (PS3.18 10.4): study/series/instance retrieve and metadata, frames in each offered transfer
syntax, rendered images, and 406 for what cannot be produced."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage

from readingroom.core.files import media_path
from tests.readingroom.studies.conftest import decode_frame

pytestmark = pytest.mark.django_db

OCTET = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
JPEG = 'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.50'
JLS = 'multipart/related; type="image/jls"; transfer-syntax=1.2.840.10008.1.2.4.80'
J2K = 'multipart/related; type="image/jp2"; transfer-syntax=1.2.840.10008.1.2.4.90'


def _parts(response) -> list[tuple[str, bytes]]:
    assert response.status_code == 200, response.content if not response.streaming else ""
    boundary = response["Content-Type"].split("boundary=")[1].encode()
    body = b"".join(response.streaming_content)
    out = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, data = chunk.split(b"\r\n\r\n", 1)
        out.append((head.decode().split("Content-Type: ")[1], data[:-2]))
    return out


def _url(archive, image) -> str:
    return archive.api.get(f"/api/images/{image.pk}/").json()["wado_rs_url"]


@pytest.mark.parametrize(
    ("accept", "syntax"), [(JLS, "1.2.840.10008.1.2.4.80"), (J2K, "1.2.840.10008.1.2.4.90")]
)
def test_16_bit_frames_in_each_lossless_syntax_equal_the_pixels(archive, settings, accept, syntax):
    url = _url(archive, archive.single)
    stored = pydicom.dcmread(settings.MEDIA_ROOT / archive.single.dicom_file)
    response = archive.api.get(f"{url}/frames/1", HTTP_ACCEPT=accept)
    ((content_type, data),) = _parts(response)
    assert content_type.endswith(f"transfer-syntax={syntax}")
    assert np.array_equal(decode_frame(data, syntax, stored), stored.pixel_array)
    assert "immutable" in response["Cache-Control"]


def test_jpeg_baseline_only_for_8_bit_and_406_otherwise(archive):
    refused = archive.api.get(f"{_url(archive, archive.single)}/frames/1", HTTP_ACCEPT=JPEG)
    assert refused.status_code == 406
    assert "image/jls" in refused.json()["detail"]
    url = _url(archive, archive.bitmap)
    ((content_type, data),) = _parts(archive.api.get(f"{url}/frames/1", HTTP_ACCEPT=JPEG))
    assert content_type.startswith("image/jpeg")
    pixels = np.fromfile(media_path(archive.bitmap.pixels_file), dtype="<u2")
    decoded = np.asarray(PILImage.open(io.BytesIO(data))).astype(float)
    assert np.abs(decoded.ravel() - pixels).mean() < 3  # lossy, but close


def test_frames_default_to_uncompressed_and_unknown_syntaxes_are_406(archive):
    url = _url(archive, archive.single)
    ((plain_type, _),) = _parts(archive.api.get(f"{url}/frames/1"))
    assert plain_type == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert (
        archive.api.get(f"{url}/frames/1", HTTP_ACCEPT='multipart/related; type="image/gif"').status_code
        == 406
    )
    rle = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.5'
    assert archive.api.get(f"{url}/frames/1", HTTP_ACCEPT=rle).status_code == 406
    # The best acceptable offer wins: JPEG (q=1) is impossible for 12 bits, so JPEG-LS (q=0.5) is sent.
    ((second_type, _),) = _parts(archive.api.get(f"{url}/frames/1", HTTP_ACCEPT=f"{JPEG}, {JLS}; q=0.5"))
    assert second_type.startswith("image/jls")


def test_study_and_series_metadata_and_retrieve(archive, settings):
    study = archive.two_series.study.study_uid
    base = f"/api/dicomweb/studies/{study}"
    metadata = archive.api.get(f"{base}/metadata")
    assert metadata["Content-Type"] == "application/dicom+json"
    assert sorted(m["00080018"]["Value"][0] for m in metadata.json()) == sorted(
        [archive.two_series.sop_uid, archive.second.sop_uid]
    )
    assert all("7FE00010" not in m for m in metadata.json())
    files = [pydicom.dcmread(io.BytesIO(data)) for _, data in _parts(archive.api.get(base))]
    assert sorted(f.SOPInstanceUID for f in files) == sorted(
        [archive.two_series.sop_uid, archive.second.sop_uid]
    )
    for ds in files:
        stored = pydicom.dcmread(settings.MEDIA_ROOT / (archive.two_series.dicom_file if ds.SOPInstanceUID ==
                                 archive.two_series.sop_uid else archive.second.dicom_file))  # fmt: skip
        assert np.array_equal(ds.pixel_array, stored.pixel_array)
    series = pydicom.dcmread(settings.MEDIA_ROOT / archive.second.dicom_file).SeriesInstanceUID
    (only,) = archive.api.get(f"{base}/series/{series}/metadata").json()
    assert only["00080018"]["Value"] == [archive.second.sop_uid]
    ((part_type, data),) = _parts(archive.api.get(f"{base}/series/{series}"))
    assert part_type == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1"
    assert archive.api.get(f"{base}/series/1.2.3/metadata").status_code == 404


def test_an_instance_is_transcoded_to_a_lossless_syntax_on_request(archive, settings):
    url = _url(archive, archive.single)
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.80'
    ((_, data),) = _parts(archive.api.get(url, HTTP_ACCEPT=accept))
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.80"
    stored = pydicom.dcmread(settings.MEDIA_ROOT / archive.single.dicom_file)
    assert np.array_equal(ds.pixel_array, stored.pixel_array)
    as_stored = 'multipart/related; type="application/dicom"; transfer-syntax=*'
    ((part_type, raw),) = _parts(archive.api.get(url, HTTP_ACCEPT=as_stored))
    assert raw == (settings.MEDIA_ROOT / archive.single.dicom_file).read_bytes()
    jpeg = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50'
    assert archive.api.get(url, HTTP_ACCEPT=jpeg).status_code == 406


def test_rendered_in_the_media_type_asked_for(archive):
    url = _url(archive, archive.single)
    png = archive.api.get(f"{url}/rendered")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    jpeg = archive.api.get(f"{url}/rendered", HTTP_ACCEPT="image/jpeg")
    assert jpeg["Content-Type"] == "image/jpeg" and jpeg.content.startswith(b"\xff\xd8")
    display = np.asarray(PILImage.open(io.BytesIO(png.content))).astype(float)
    assert np.abs(np.asarray(PILImage.open(io.BytesIO(jpeg.content))).astype(float) - display).mean() < 8
    assert archive.api.get(f"{url}/rendered", HTTP_ACCEPT="image/gif").status_code == 406
    assert archive.api.get(f"{url}/frames/1/rendered", HTTP_ACCEPT="image/png").content == png.content
    assert archive.api.get(f"{url}/frames/2/rendered").status_code == 404
    assert archive.api.get(f"{url}/rendered", {"quality": "101"}).status_code == 400
    assert archive.api.get(f"{url}/rendered", {"viewport": "10,10"}).status_code == 400


def test_a_jpeg_stored_instance_is_sent_as_stored_or_decoded(archive, settings):
    from readingroom.studies.services import image_import_dicom
    from tests.conftest import shared_data

    source = shared_data("cxr_dicom_samples", "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm")
    image = image_import_dicom(path=source).image
    stored = pydicom.dcmread(settings.MEDIA_ROOT / image.dicom_file)
    assert stored.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    url = _url(archive, image)
    ((_, as_stored),) = _parts(archive.api.get(f"{url}/frames/1", HTTP_ACCEPT=JPEG))
    assert as_stored == next(pydicom.encaps.generate_frames(stored.PixelData, number_of_frames=1))
    ((_, raw),) = _parts(archive.api.get(f"{url}/frames/1"))
    assert np.array_equal(decode_frame(raw, "1.2.840.10008.1.2.1", stored), stored.pixel_array)
    ((part_type, data),) = _parts(archive.api.get(url))
    assert part_type == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1"
    decoded = pydicom.dcmread(io.BytesIO(data))
    assert decoded.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert np.array_equal(decoded.pixel_array, stored.pixel_array)


def test_frames_of_a_multi_frame_instance_in_the_order_asked(archive, settings):
    path = settings.MEDIA_ROOT / archive.single.dicom_file
    ds = pydicom.dcmread(path)
    frames = np.stack([np.roll(ds.pixel_array, n) for n in range(3)]).astype(np.uint16)
    ds.NumberOfFrames = 3
    ds.PixelData = frames.tobytes()
    ds.save_as(path, enforce_file_format=True)
    url = _url(archive, archive.single)
    parts = _parts(archive.api.get(f"{url}/frames/3,1,3,2"))
    assert len(parts) == 3
    for (_, data), number in zip(parts, (3, 1, 2), strict=True):
        assert np.array_equal(decode_frame(data, "1.2.840.10008.1.2.1", ds), frames[number - 1])
    ((_, jls),) = _parts(archive.api.get(f"{url}/frames/2", HTTP_ACCEPT=JLS))
    assert np.array_equal(decode_frame(jls, "1.2.840.10008.1.2.4.80", ds), frames[1])
    assert archive.api.get(f"{url}/frames/4").status_code == 404


def test_the_accept_query_parameter_stands_in_for_the_header(archive):
    url = _url(archive, archive.single)
    jpeg = archive.api.get(f"{url}/rendered", {"accept": "image/jpeg"})
    assert jpeg["Content-Type"] == "image/jpeg"
    ((part_type, _),) = _parts(archive.api.get(f"{url}/frames/1", {"accept": JLS}))
    assert part_type.startswith("image/jls")
    assert archive.api.get("/api/dicomweb/studies", {"accept": "application/dicom+json"}).status_code == 200
    refused = archive.api.get(f"{url}/metadata", {"accept": "application/dicom+json", "charset": "utf-8"})
    assert refused.status_code == 400 and "charset" in refused.json()["detail"]

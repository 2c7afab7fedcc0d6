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

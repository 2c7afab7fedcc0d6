"""Pixels derived when first read: the import writes only the de-identified DICOM; the pixel file, display
table and (where the header has none) the window are made from it by the first reader, once."""

from __future__ import annotations

import threading

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit, RLELossless

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.studies import pixels
from readingroom.studies.derivatives import display_table_name, image_display_array
from readingroom.studies.dicomio.header import radiograph_header
from readingroom.studies.dicomio.render import decode_radiograph
from readingroom.studies.models import Image
from readingroom.studies.pixels import PixelsUnreadable, image_derive, image_pixels, image_window
from readingroom.studies.prepare import _header_fields, _image_fields
from readingroom.studies.services import image_import_dicom
from tests.conftest import rg1_uncr, shared_data
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


def _testdata(name: str):
    from pydicom.data import get_testdata_file

    found = get_testdata_file(name, download=False)
    if not found:
        pytest.skip(f"pydicom test file {name} is not installed")
    return found


def _counting_decodes(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = pixels.decode_radiograph

    def counted(ds, *, source=""):
        calls.append(1)
        return real(ds, source=source)

    monkeypatch.setattr(pixels, "decode_radiograph", counted)
    return calls


def test_first_read_derives_the_pixels_and_display_from_the_stored_dicom(dicom_file, settings, monkeypatch):
    image = image_import_dicom(path=dicom_file).image
    media = settings.MEDIA_ROOT
    assert (
        not (media / image.pixels_file).exists()
        and not (media / display_table_name(image.display_file)).exists()
    )
    decodes = _counting_decodes(monkeypatch)
    stored = image_pixels(image)
    source = decode_radiograph(pydicom.dcmread(dicom_file))
    assert np.array_equal(stored, pydicom.dcmread(dicom_file).pixel_array)
    assert (media / image.pixels_file).is_file() and (
        media / display_table_name(image.display_file)
    ).is_file()
    assert np.array_equal(image_display_array(image), source.display)
    again = Image.objects.get(pk=image.pk)
    assert np.array_equal(image_pixels(again), stored) and np.array_equal(
        image_display_array(again), source.display
    )
    assert len(decodes) == 1  # later reads use the files


def test_a_window_missing_from_the_header_is_computed_with_the_pixels_and_kept(tmp_path):
    path = write_dicom(tmp_path / "nowin.dcm", window=None)
    image = image_import_dicom(path=path).image
    assert (image.window_center, image.window_width) == (None, None)
    expected = decode_radiograph(pydicom.dcmread(path))
    assert image_window(Image.objects.get(pk=image.pk)) == (expected.window_center, expected.window_width)
    image.refresh_from_db()
    assert (image.window_center, image.window_width) == (expected.window_center, expected.window_width)


def test_the_image_detail_gives_the_computed_window(reader, assignment, image):
    """The viewer's metadata request is a first read: the window is there, not null."""
    from rest_framework.test import APIClient

    Image.objects.filter(pk=image.pk).update(window_center=None, window_width=None)
    api = APIClient()
    api.force_authenticate(reader)
    detail = api.get(f"/api/images/{image.pk}/").json()
    assert detail["window_width"] > 0 and detail["window_center"] is not None
    raw = api.get(f"/api/images/{image.pk}/pixels")
    assert raw.status_code == 200
    assert np.frombuffer(b"".join(raw.streaming_content), dtype="<u2").size == image.rows * image.columns


@pytest.mark.parametrize(
    "name", ["RG1_UNCR.dcm", "RG1_J2KI.dcm", "JPEG-LL.dcm", "MR_small.dcm", "CT_small.dcm", "JPEG2000.dcm"]
)
def test_the_header_gives_the_fields_decoding_gives(name):
    ds = pydicom.dcmread(_testdata(name))
    fields = _header_fields(radiograph_header(ds))
    decoded = _image_fields(decode_radiograph(ds))
    if fields["window_center"] is None:  # no VOI in the header: computed from the pixels, later
        fields = {
            **fields,
            "window_center": decoded["window_center"],
            "window_width": decoded["window_width"],
        }
    assert fields == decoded


def test_concurrent_first_reads_decode_once_and_agree(tmp_path, monkeypatch, settings):
    image = image_import_dicom(path=rg1_uncr()).image
    decodes = _counting_decodes(monkeypatch)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def read() -> None:
        try:
            start.wait()
            results.append(
                image_pixels(Image(**{f.attname: getattr(image, f.attname) for f in Image._meta.fields}))
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(decodes) == 1
    assert all(np.array_equal(r, results[0]) for r in results) and len(results) == 4
    assert not list((settings.MEDIA_ROOT / "images").rglob("*.part"))


def test_a_missing_stored_dicom_is_a_clear_error(dicom_file, settings):
    image = image_import_dicom(path=dicom_file).image
    (settings.MEDIA_ROOT / image.dicom_file).unlink()
    with pytest.raises(NotFound, match=rf"image {image.pk}: its stored DICOM .* is missing"):
        image_pixels(image)


def test_a_corrupt_stored_dicom_is_a_clear_error_and_writes_nothing(dicom_file, settings):
    image = image_import_dicom(path=dicom_file).image
    stored = settings.MEDIA_ROOT / image.dicom_file
    stored.write_bytes(stored.read_bytes()[:600])  # cut inside the pixel data
    with pytest.raises(PixelsUnreadable, match=rf"image {image.pk}.*re-import the source file"):
        image_derive(image)
    assert not (settings.MEDIA_ROOT / image.pixels_file).exists()
    assert not (settings.MEDIA_ROOT / display_table_name(image.display_file)).exists()


def _jpeg_sample(tmp_path, first_frame: bytes | None = None, damage_at: int | None = None):
    path = sorted(shared_data("cxr_dicom_samples").glob("*.dcm"))[0]
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == JPEGBaseline8Bit
    frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    if first_frame is not None:
        frame = first_frame
    if damage_at is not None:
        frame = frame[:damage_at] + b"\x00" * 64  # a JPEG stream (SOI first) broken in its tables
    ds.PixelData = encapsulate([frame])
    ds.save_as(tmp_path / "sample.dcm")
    return tmp_path / "sample.dcm"


def test_undecodable_pixel_data_is_refused_at_import(tmp_path):
    with pytest.raises(InvalidInput, match="is not a JPEG Baseline"):
        image_import_dicom(path=_jpeg_sample(tmp_path, first_frame=b"not a jpeg stream at all"))
    short = write_dicom(tmp_path / "short.dcm")
    ds = pydicom.dcmread(short)
    ds.PixelData = ds.PixelData[:100]
    ds.save_as(short)
    with pytest.raises(InvalidInput, match=r"short.dcm: cannot decode pixel data .* 100 bytes"):
        image_import_dicom(path=short)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder
    ds.PixelData = encapsulate([b"\0" * 128])
    ds.save_as(short, enforce_file_format=True)
    with pytest.raises(InvalidInput, match="no decoder installed"):
        image_import_dicom(path=short)
    assert not Image.objects.exists()


def test_a_stream_damaged_past_its_start_is_reported_when_first_read(tmp_path):
    image = image_import_dicom(path=_jpeg_sample(tmp_path, damage_at=20)).image
    with pytest.raises(PixelsUnreadable, match=rf"image {image.pk} .*cannot"):
        image_pixels(image)


def test_rle_pixels_are_derived_like_the_source(tmp_path):
    ds = pydicom.dcmread(write_dicom(tmp_path / "plain.dcm"))
    ds.compress(RLELossless)
    ds.save_as(tmp_path / "rle.dcm")
    image = image_import_dicom(path=tmp_path / "rle.dcm").image
    assert np.array_equal(image_pixels(image), pydicom.dcmread(tmp_path / "rle.dcm").pixel_array)

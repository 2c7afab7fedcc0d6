"""Importing DICOM radiographs: real files, rendering, idempotence and bad input."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.derivatives import image_display_png
from readingroom.studies.dicomio.render import decode_radiograph
from readingroom.studies.models import Image, Patient, Study
from readingroom.studies.pixels import image_derive, image_pixels
from readingroom.studies.services import image_import_dicom
from tests.conftest import rg1_uncr, shared_data
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


def _display(image: Image, settings) -> np.ndarray:
    return np.asarray(PILImage.open(image_display_png(image)))


def _pydicom_display(path) -> np.ndarray:
    """pydicom's own VOI LUT output scaled to 8 bits, MONOCHROME1 inverted: the reference rendering."""
    ds = pydicom.dcmread(path)
    windowed = apply_voi_lut(ds.pixel_array.astype(np.float64), ds, prefer_lut=False)
    y_max = 2**ds.BitsStored - 1
    out = np.rint(np.clip(windowed / y_max, 0, 1) * 255)
    return 255 - out if ds.PhotometricInterpretation == "MONOCHROME1" else out


def test_real_monochrome1_radiograph_renders_like_pydicom(settings):
    path = rg1_uncr()
    image = image_import_dicom(path=path).image
    assert (image.rows, image.columns) == (1955, 1841)
    assert image.photometric_interpretation == "MONOCHROME1"
    assert image.bits_stored == 15
    display = _display(image, settings)
    assert np.abs(display.astype(int) - _pydicom_display(path)).max() <= 1
    stored = image_pixels(image)
    assert np.array_equal(stored, pydicom.dcmread(path).pixel_array)


def test_jpeg_compressed_samples_import(settings):
    folder = shared_data("cxr_dicom_samples")
    files = sorted(folder.glob("*.dcm"))
    assert len(files) == 2
    images = [image_import_dicom(path=f).image for f in files]
    normal, inverted = sorted(images, key=lambda i: i.photometric_interpretation != "MONOCHROME2")
    assert normal.rows == normal.columns == 1024
    # The synthetic MONOCHROME1 variant holds the same pixels: its display must be the inverse.
    assert np.array_equal(_display(inverted, settings), 255 - _display(normal, settings))


def test_import_is_idempotent(dicom_file):
    first = image_import_dicom(path=dicom_file)
    second = image_import_dicom(path=dicom_file)
    assert first.created and not second.created
    assert second.image.pk == first.image.pk
    assert Image.objects.count() == 1


def test_patient_identity_is_not_stored(dicom_file):
    image = image_import_dicom(path=dicom_file).image
    source = pydicom.dcmread(dicom_file)
    assert image.study.study_uid != source.StudyInstanceUID
    assert image.sop_uid != source.SOPInstanceUID
    assert "TEST-PATIENT" not in image.study.patient.key


def test_window_missing_falls_back_to_percentiles(tmp_path, settings):
    image = image_import_dicom(path=write_dicom(tmp_path / "nowin.dcm", window=None)).image
    assert image.window_width is None  # computed with the pixels, when they are first read
    display = _display(image, settings)
    assert display.min() == 0 and display.max() == 255
    image.refresh_from_db()
    assert image.window_width > 0


def test_non_dicom_file_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    with pytest.raises(InvalidInput, match="notes.txt: not a DICOM file"):
        image_import_dicom(path=bad)
    assert not Study.objects.exists() and not Patient.objects.exists()


def test_truncated_dicom_writes_nothing(tmp_path, settings):
    good = write_dicom(tmp_path / "good.dcm", rows=128, columns=128)
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(good.read_bytes()[:-5000])
    with pytest.raises(InvalidInput, match="truncated.dcm"):
        image_import_dicom(path=truncated)
    assert not Image.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_non_image_dicom_is_refused(tmp_path):
    path = write_dicom(tmp_path / "sr.dcm", Modality="SR")
    with pytest.raises(InvalidInput, match="modality SR is not an image"):
        image_import_dicom(path=path)


def test_command_reports_each_bad_file_and_exits_non_zero(tmp_path, capsys):
    good = write_dicom(tmp_path / "good.dcm")
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 200)
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_dicom", str(good), str(bad))
    captured = capsys.readouterr()
    assert "imported" in captured.out and "good.dcm" in captured.out
    assert f"error: {bad}:" in captured.err
    assert Image.objects.count() == 1


def _pydicom_testdata(name: str):
    from pydicom.data import get_testdata_file

    found = get_testdata_file(name, download=False)
    if not found:
        pytest.skip(f"pydicom-data's {name} is not installed")
    return found


def test_jpeg2000_radiograph_renders_like_pydicom(settings):
    path = _pydicom_testdata("RG1_J2KI.dcm")
    image = image_import_dicom(path=path).image
    assert (image.rows, image.columns) == (1955, 1841)
    assert np.abs(_display(image, settings).astype(int) - _pydicom_display(path)).max() <= 1
    kept = pydicom.dcmread(settings.MEDIA_ROOT / image.dicom_file)
    assert kept.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.91"  # still JPEG 2000, not re-encoded


def test_jpeg_lossless_keeps_its_modality_values(settings):
    path = _pydicom_testdata("JPEG-LL.dcm")
    image = image_import_dicom(path=path).image
    stored = image_pixels(image)
    ds = pydicom.dcmread(path)
    modality = stored * image.rescale_slope + image.rescale_intercept  # signed sources are shifted
    assert np.array_equal(modality, apply_modality_lut(ds.pixel_array, ds))


def test_display_pngs_are_encoded_when_first_read(dicom_file, settings):
    """An import writes the display's look-up table only; the PNGs appear on first use and match it."""
    from readingroom.studies.derivatives import (
        display_raw_name,
        display_table_name,
        image_display_array,
        image_display_png,
        image_thumbnail_png,
    )

    image = image_import_dicom(path=dicom_file).image
    image_derive(image)
    assert not (settings.MEDIA_ROOT / image.display_file).exists()
    assert not (settings.MEDIA_ROOT / image.thumbnail_file).exists()
    assert not (settings.MEDIA_ROOT / display_raw_name(image.display_file)).exists()
    table = np.fromfile(settings.MEDIA_ROOT / display_table_name(image.display_file), dtype=np.uint8)
    stored = image_pixels(image)
    assert table.size == 65536
    assert np.array_equal(image_display_array(image), table[stored])
    # the same display as rendering the DICOM directly
    assert np.array_equal(image_display_array(image), decode_radiograph(pydicom.dcmread(dicom_file)).display)
    png = np.asarray(PILImage.open(image_display_png(image)))
    assert np.array_equal(png, image_display_array(image)) and png.shape == (image.rows, image.columns)
    with PILImage.open(image_thumbnail_png(image)) as thumb:
        assert max(thumb.size) <= 256


def test_images_imported_with_a_raw_display_still_show(dicom_file, settings):
    """Images imported before the display table have an image-sized raw display (.u8) instead; it is read."""
    from readingroom.studies.derivatives import display_raw_name, display_table_name, image_display_array

    image = image_import_dicom(path=dicom_file).image
    expected = image_display_array(image)
    (settings.MEDIA_ROOT / display_table_name(image.display_file)).unlink()
    (settings.MEDIA_ROOT / display_raw_name(image.display_file)).write_bytes(expected.tobytes())
    assert np.array_equal(image_display_array(image), expected)
    assert np.array_equal(np.asarray(PILImage.open(image_display_png(image))), expected)

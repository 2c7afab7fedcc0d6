"""Fuzzing the importers: damaged DICOM files, CSVs and zip archives end in the documented per-file
errors (:class:`InvalidInput`), never in another exception.

Bounded and repeatable for CI (``derandomize``, a fixed number of examples per test, no deadline); a longer
run: ``FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/readingroom/studies/test_ingest_fuzz.py``.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.ingest import ingest_items
from readingroom.studies.prepare import bitmap_metadata_clean, image_prepare
from tests.readingroom.conftest import write_dicom

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _valid_dicom() -> bytes:
    """A small valid DICOM file with fixed UIDs, so that every run damages the same bytes."""
    uid = "1.2.826.0.1.3680043.10.7731"
    with tempfile.TemporaryDirectory() as folder:
        path = write_dicom(Path(folder) / "v.dcm", rows=16, columns=12, StudyInstanceUID=f"{uid}.1",
                           SeriesInstanceUID=f"{uid}.2", SOPInstanceUID=f"{uid}.3")  # fmt: skip
        ds = pydicom.dcmread(path)
        ds.file_meta.MediaStorageSOPInstanceUID = f"{uid}.3"
        ds.save_as(path, enforce_file_format=True)
        return path.read_bytes()


def _valid_png() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((8, 6), 77, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


VALID_DICOM, VALID_PNG = _valid_dicom(), _valid_png()
# Overwrites (offset, bytes) applied to a valid file: damage anywhere, most often in the header.
DAMAGE = st.lists(
    st.tuples(st.integers(min_value=0, max_value=len(VALID_DICOM) - 1), st.binary(min_size=1, max_size=8)),
    min_size=1,
    max_size=6,
)


def _damaged(content: bytes, damage: list[tuple[int, bytes]], cut: int | None) -> bytes:
    data = bytearray(content)
    for offset, chunk in damage:
        data[offset % len(data) : offset % len(data) + len(chunk)] = chunk
    return bytes(data[:cut] if cut else data)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEID_BURNED_IN_ANNOTATION = "refuse"


@pytest.mark.filterwarnings("ignore:Invalid value for VR:UserWarning")  # pydicom reads odd values, warns
@FUZZ
@given(damage=DAMAGE, cut=st.none() | st.integers(min_value=1, max_value=len(VALID_DICOM)))
def test_a_damaged_dicom_file_is_an_invalid_input_or_imports(damage, cut):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.dcm"
        path.write_bytes(_damaged(VALID_DICOM, damage, cut))
        try:
            prepared = image_prepare(path=path)
        except InvalidInput as exc:
            assert str(path) in str(exc)
        else:
            assert prepared.image_fields["rows"] > 0


@FUZZ
@given(damage=st.lists(st.tuples(st.integers(0, len(VALID_PNG) - 1), st.binary(min_size=1, max_size=4)),
                       min_size=1, max_size=4),
       metadata=st.dictionaries(st.sampled_from(["sex", "view_position", "modality", "patient_id"]),
                                st.text(max_size=12)))  # fmt: skip
def test_a_damaged_png_or_odd_metadata_is_an_invalid_input_or_imports(damage, metadata):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.png"
        path.write_bytes(_damaged(VALID_PNG, damage, None))
        try:
            prepared = image_prepare(path=path, metadata=metadata)
        except InvalidInput as exc:
            assert str(path) in str(exc)
        else:
            assert prepared.sex in {"", "M", "F", "O"} and prepared.modality in {"", "CR", "DX", "RG", "SC"}


@FUZZ
@given(metadata=st.dictionaries(st.sampled_from(["sex", "view_position", "modality"]),
                                st.none() | st.text(max_size=20) | st.integers()))  # fmt: skip
def test_metadata_values_are_cleaned_or_refused_by_name(metadata):
    try:
        clean = bitmap_metadata_clean(metadata, path="x.png")
    except InvalidInput as exc:
        assert any(f"x.png: {field} " in str(exc) for field in metadata)
    else:
        assert set(clean) == {"sex", "view_position", "modality"}


@FUZZ
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")))
def test_any_csv_content_gives_items_or_per_file_errors(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meta.csv"
        path.write_bytes(content)
        items = list(ingest_items([str(path)], scratch=Path(folder) / "scratch"))
        for item in items:
            assert (item.path is None) == bool(item.error)


@FUZZ
@given(damage=st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=6)), min_size=1,
                       max_size=5))  # fmt: skip
def test_a_damaged_zip_archive_gives_items_or_per_file_errors(damage):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/one.dcm", VALID_DICOM[:200])
        zf.writestr("two.png", VALID_PNG)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.zip"
        path.write_bytes(_damaged(buf.getvalue(), damage, None))
        scratch = Path(folder) / "scratch"
        scratch.mkdir()
        for item in ingest_items([str(path)], scratch=scratch):
            assert (item.path is None) == bool(item.error)
            if item.path is not None:
                assert scratch in item.path.resolve().parents

"""Batch import jobs: folders, zip archives, CSV metadata, bad input per file, resume, parallel workers."""

from __future__ import annotations

import csv
import zipfile

import numpy as np
import pydicom
import pytest
from django.core.management import call_command
from PIL import Image as PILImage
from pydicom.encaps import encapsulate
from pydicom.uid import RLELossless

from readingroom.studies.derivatives import image_display_png
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.models import Image, ImportJob, Study
from readingroom.studies.pixels import image_pixels
from tests.conftest import shared_data
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


def _run(sources, **kwargs) -> ImportJob:
    job = import_job_create(sources=[str(s) for s in sources], enqueue=False)
    return import_job_run(job_id=job.pk, **kwargs)


def _errors(job: ImportJob) -> str:
    return "\n".join(e["error"] for e in job.errors)


def test_bad_files_are_per_file_errors_and_the_rest_imports(tmp_path, settings):
    folder = tmp_path / "batch"
    folder.mkdir()
    good = write_dicom(folder / "good.dcm", seed=1)
    original = good.read_bytes()
    write_dicom(folder / "copy-of-good.dcm", seed=1, SOPInstanceUID=pydicom.dcmread(good).SOPInstanceUID)
    (folder / "corrupt.dcm").write_bytes(original[:-3000])
    write_dicom(folder / "report.dcm", Modality="SR")
    no_pixels = pydicom.dcmread(good)
    del no_pixels.PixelData
    no_pixels.SOPInstanceUID = "1.2.3.999"
    no_pixels.save_as(folder / "nopixels.dcm")
    unsupported = pydicom.dcmread(good)
    unsupported.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder
    unsupported.SOPInstanceUID = "1.2.3.998"
    unsupported.PixelData = encapsulate([b"\0" * 128])
    unsupported.save_as(folder / "mpeg.dcm", enforce_file_format=False)

    job = _run([folder], workers=1)
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.imported, job.failed) == (6, 2, 4)
    errors = _errors(job)
    for name, why in [("corrupt.dcm", "corrupt"), ("report.dcm", "not an image"), ("nopixels.dcm", "no pixel data"),
                      ("mpeg.dcm", "cannot decode")]:  # fmt: skip
        assert f"{name}: " in errors and why in errors
    assert good.read_bytes() == original
    assert any("new UID" in w["warning"] for w in job.warnings)
    # nothing half-written: files on disk are exactly those of the imported images (the de-identified DICOM;
    # the raw pixels, the display's look-up table and the PNGs are made when first read)
    names = {p.name for p in (settings.MEDIA_ROOT / "images").rglob("*") if p.is_file()}
    expected = {f"{i.source_sha256}.dcm" for i in Image.objects.all()}
    assert names == expected

    again = _run([folder], workers=1)
    assert (again.imported, again.skipped, again.failed) == (0, 2, 4)
    assert Image.objects.count() == 2


def test_zip_members_traversal_and_bomb_refused_others_imported(tmp_path):
    archive = tmp_path / "upload.zip"
    good = write_dicom(tmp_path / "a.dcm", seed=5).read_bytes()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("studies/a.dcm", good)
        zf.writestr("../../evil.dcm", good)
        zf.writestr("bomb.dcm", b"\0" * 5_000_000)
    job = _run([archive], workers=1)
    assert (job.imported, job.failed) == (1, 2)
    errors = _errors(job)
    assert "../../evil.dcm: refused: path traversal" in errors
    assert "bomb.dcm: refused: compression ratio" in errors
    assert not (tmp_path.parent / "evil.dcm").exists()
    assert archive.exists()


def test_png_with_csv_metadata_and_csv_missing_columns(tmp_path, settings):
    for name, value in (("x1.png", 40), ("x2.png", 200)):
        PILImage.fromarray(np.full((32, 24), value, dtype=np.uint8)).save(tmp_path / name)
    with (tmp_path / "meta.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "patient_id", "study_id", "sex", "view_position", "indication"])
        writer.writerow(["x1.png", "p1", "s1", "F", "pa", "Fever."])
        writer.writerow(["x2.png", "p1", "s1", "F", "lateral", "Fever."])
        writer.writerow(["../x3.png", "p2", "s2", "M", "AP", ""])
    (tmp_path / "broken.csv").write_text("name,sex\nx1.png,F\n")
    job = _run([tmp_path / "meta.csv", tmp_path / "broken.csv"], workers=1)
    assert (job.imported, job.failed) == (2, 2)
    assert "broken.csv: missing column(s) file" in _errors(job)
    assert "bad file name '../x3.png'" in _errors(job)
    study = Study.objects.get()
    assert study.indication == "Fever." and study.patient.sex == "F"
    assert sorted(study.images.values_list("view_position", flat=True)) == ["LATERAL", "PA"]
    shown = np.asarray(PILImage.open(image_display_png(study.images.first())))
    assert shown.shape == (32, 24)


def test_resume_skips_finished_items_and_parallel_workers_import(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    files = [write_dicom(folder / f"f{i}.dcm", seed=10 + i, PatientID=f"P{i % 2}") for i in range(4)]
    job = import_job_create(sources=[str(folder)], enqueue=False)
    job.processed_keys = [str(files[0])]  # as if the first run stopped after one file
    job.imported = 1
    job.save()
    job = import_job_run(job_id=job.pk, workers=2)
    assert job.total == 4 and job.imported == 4 and job.failed == 0
    assert Image.objects.count() == 3  # the "finished" file was never imported in this test
    assert Study.objects.values("patient").distinct().count() == 2


def test_task_runs_the_job_on_commit(tmp_path, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from readingroom.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(sources=[str(write_dicom(tmp_path / "t.dcm"))])
    finally:
        app.conf.task_always_eager = False
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported == 1


def test_command_with_a_zip_and_a_progress_bar(tmp_path, capsys):
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("one.dcm", write_dicom(tmp_path / "one.dcm", seed=3).read_bytes())
    call_command("import_dicom", str(archive), "--progress", "--workers", "1")
    captured = capsys.readouterr()
    assert "1 imported" in captured.out
    assert "1/1" in captured.err  # tqdm's bar


def test_rle_compressed_dicom_imports_with_its_pixels(tmp_path, settings):
    path = write_dicom(tmp_path / "plain.dcm", seed=7)
    ds = pydicom.dcmread(path)
    ds.compress(RLELossless)
    ds.save_as(tmp_path / "rle.dcm")
    job = _run([tmp_path / "rle.dcm"], workers=1)
    assert job.imported == 1, _errors(job)
    image = Image.objects.get()
    stored = image_pixels(image)
    assert np.array_equal(stored, pydicom.dcmread(path).pixel_array)
    kept = pydicom.dcmread(settings.MEDIA_ROOT / image.dicom_file)
    assert kept.file_meta.TransferSyntaxUID == RLELossless


def test_hannover_data_csv_imports_all_243_images():
    folder = shared_data("cxr_hannover_covid19")
    job = _run([folder / "data.csv"], workers=2)
    assert job.failed == 0, _errors(job)[:500]
    assert job.imported == 243
    assert Study.objects.values("patient").distinct().count() == 71
    assert set(Image.objects.values_list("view_position", flat=True)) <= {"AP", "PA"}


def test_a_job_hashes_each_file_once_and_stores_that_hash(tmp_path, monkeypatch):
    import hashlib

    from readingroom.studies import prepare

    (tmp_path / "in").mkdir()
    for i in range(3):
        write_dicom(tmp_path / "in" / f"{i}.dcm", seed=300 + i, PatientID=f"H{i}")
    hashed: list[int] = []
    real, real_file = hashlib.sha256, hashlib.file_digest

    def counting(data=b"", *args, **kwargs):
        if len(data) > 1000:  # file contents (the patient-key HMAC hashes short strings)
            hashed.append(len(data))
        return real(data, *args, **kwargs)

    def counting_file(fh, digest, /, **kwargs):
        hashed.append(-1)
        return real_file(fh, digest, **kwargs)

    monkeypatch.setattr(prepare.hashlib, "sha256", counting)
    monkeypatch.setattr(prepare.hashlib, "file_digest", counting_file)
    job = import_job_run(
        job_id=import_job_create(sources=[str(tmp_path / "in")], enqueue=False).pk, workers=1
    )
    assert job.imported == 3 and len(hashed) == 3
    for i in range(3):
        digest = real((tmp_path / "in" / f"{i}.dcm").read_bytes()).hexdigest()
        assert Image.objects.filter(source_sha256=digest).exists()


def test_rows_are_committed_in_batches_with_a_fixed_number_of_queries(
    tmp_path, django_assert_max_num_queries
):
    """30 images of 6 studies of 3 patients: rows go in per batch (bulk), not a dozen queries per image."""
    folder = tmp_path / "batch"
    folder.mkdir()
    studies = [pydicom.uid.generate_uid() for _ in range(6)]
    for i in range(30):
        write_dicom(folder / f"{i:02d}.dcm", seed=i, StudyInstanceUID=studies[i % 6], PatientID=f"P{i % 3}")
    job = import_job_create(sources=[str(folder)], enqueue=False)
    with django_assert_max_num_queries(40):
        job = import_job_run(job_id=job.pk, workers=1)
    assert job.imported == 30, _errors(job)
    assert Study.objects.count() == 6 and Image.objects.count() == 30
    assert {s.patient.key for s in Study.objects.all()} == {i.study.patient.key for i in Image.objects.all()}
    assert len({s.patient_id for s in Study.objects.all()}) == 3


def test_a_database_failure_in_a_batch_fails_the_job_and_leaves_no_files(tmp_path, settings, monkeypatch):
    from django.db import DatabaseError

    from readingroom.studies import ingest

    def broken(**kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(ingest, "images_commit_prepared", broken)
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(3):
        write_dicom(folder / f"{i}.dcm", seed=i)
    job = import_job_create(sources=[str(folder)], enqueue=False)
    with pytest.raises(DatabaseError):
        import_job_run(job_id=job.pk, workers=1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "disk I/O error" in job.message
    assert not [p for p in (settings.MEDIA_ROOT / "images").rglob("*") if p.is_file()]

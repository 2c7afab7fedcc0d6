"""Import jobs against hostile or careless input: encodings, metadata values, links out of the allowed
folders, archive members that climb out, and what the API shows of the source file names."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as PILImage
from rest_framework.test import APIClient

from readingroom.core.exceptions import InvalidInput
from readingroom.core.services import user_create
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.models import Image, ImportJob, Study
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


def _png(path, value: int = 90):
    PILImage.fromarray(np.full((16, 12), value, dtype=np.uint8)).save(path)
    return path


def _errors(job: ImportJob) -> str:
    return "\n".join(e["error"] for e in job.errors)


def test_a_non_utf8_csv_is_a_per_file_error_and_the_job_ends(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "latin1.csv").write_bytes("file,indication\na.png,Fièvre\n".encode("latin-1"))
    job = import_job_create(sources=[str(tmp_path / "latin1.csv")], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert job.status == ImportJob.Status.DONE and job.failed == 1
    assert "latin1.csv: not UTF-8 text (byte 0xe8" in _errors(job)


def test_the_command_reports_a_non_utf8_csv_without_a_traceback(tmp_path, capsys):
    _png(tmp_path / "a.png")
    (tmp_path / "latin1.csv").write_bytes("file,sex\na.png,F\n\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_dicom", str(tmp_path / "latin1.csv"), "--workers", "1")
    assert "not UTF-8 text" in capsys.readouterr().err
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_an_unexpected_error_ends_the_job_as_failed(tmp_path, monkeypatch):
    from readingroom.studies import ingest

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest, "source_sha256", explode)
    job = import_job_create(sources=[str(write_dicom(tmp_path / "x.dcm"))], enqueue=False)
    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.pk, workers=1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "RuntimeError: disk on fire" in job.message
    assert job.finished_at is not None


def test_csv_metadata_values_are_checked_per_row(tmp_path):
    for name in ("ok.png", "q.png", "xyz.png", "mr.png"):
        _png(tmp_path / name, value=len(name) * 10)
    (tmp_path / "meta.csv").write_text(
        "file,sex,view_position,modality\n"
        "ok.png,female,pa,dx\n"
        "q.png,Q,PA,CR\n"
        "xyz.png,M,XYZ,CR\n"
        "mr.png,M,PA,MR\n"
    )
    job = import_job_create(sources=[str(tmp_path / "meta.csv")], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert (job.imported, job.failed) == (1, 3)
    errors = _errors(job)
    assert "q.png: sex 'Q' is not one of M, F, O" in errors
    assert "xyz.png: view_position 'XYZ' is not a radiograph view" in errors
    assert "mr.png: modality 'MR' is not a radiograph modality" in errors
    image = Image.objects.get()
    assert (image.view_position, image.modality, image.study.patient.sex) == ("PA", "DX", "F")


def test_the_bom_is_stripped_so_the_file_column_is_found(tmp_path):
    _png(tmp_path / "z.png")
    (tmp_path / "bom.csv").write_bytes("\ufefffile,sex\nz.png,M\n".encode())
    job = import_job_create(sources=[str(tmp_path / "bom.csv")], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert (job.imported, job.failed) == (1, 0), _errors(job)
    assert Study.objects.get().patient.sex == "M"


@pytest.fixture
def roots(tmp_path, settings):
    allowed, outside = tmp_path / "incoming", tmp_path / "private"
    allowed.mkdir()
    outside.mkdir()
    settings.INGEST_ALLOWED_ROOTS = [str(allowed)]
    return allowed, outside


def test_a_link_inside_an_allowed_folder_pointing_outside_is_refused(roots):
    allowed, outside = roots
    write_dicom(allowed / "inside.dcm", seed=1)
    secret = write_dicom(outside / "secret.dcm", seed=2)
    (allowed / "secret.dcm").symlink_to(secret)
    (outside / "more").mkdir()
    write_dicom(outside / "more" / "deep.dcm", seed=3)
    (allowed / "linked-folder").symlink_to(outside / "more")
    _png(outside / "p.png")
    (allowed / "meta.csv").write_text("file,sex\nlinked.png,F\n")
    (allowed / "linked.png").symlink_to(outside / "p.png")
    with zipfile.ZipFile(outside / "arch.zip", "w") as zf:
        zf.writestr("z.dcm", write_dicom(outside / "z.dcm", seed=4).read_bytes())
    (allowed / "arch.zip").symlink_to(outside / "arch.zip")

    job = import_job_create(sources=[str(allowed)], enqueue=False, allowed_roots=[str(allowed)])
    job = import_job_run(job_id=job.pk, workers=1)
    assert job.imported == 1, _errors(job)
    errors = _errors(job)
    for name in ("secret.dcm", "linked.png", "arch.zip"):
        assert f"{name}: refused: it leads outside the folders imports may read" in errors
    assert Image.objects.count() == 1


def test_a_source_that_is_a_link_out_is_refused_at_creation(roots):
    allowed, outside = roots
    (allowed / "out").symlink_to(outside)
    with pytest.raises(InvalidInput, match="is outside the folders imports may read"):
        import_job_create(sources=[str(allowed / "out")], enqueue=False, allowed_roots=[str(allowed)])


def test_a_zip_member_climbing_out_from_a_subfolder_is_refused(tmp_path):
    archive = tmp_path / "deep" / "upload.zip"
    archive.parent.mkdir()
    good = write_dicom(tmp_path / "a.dcm", seed=5).read_bytes()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/../../evil.dcm", good)
        zf.writestr("a/ok.dcm", good)
    job = import_job_create(sources=[str(archive)], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert (job.imported, job.failed) == (1, 1)
    assert "a/../../evil.dcm: refused: path traversal" in _errors(job)
    assert not (tmp_path / "evil.dcm").exists() and not (archive.parent / "evil.dcm").exists()


def test_the_api_never_shows_source_file_names(tmp_path, roots):
    allowed, _ = roots
    folder = allowed / "Doe_Jane_1971"
    folder.mkdir()
    write_dicom(folder / "Doe_Jane.dcm", seed=6)
    (folder / "Doe_Jane_broken.dcm").write_bytes(b"not a dicom")
    curator = user_create(username="cur", password="cur-pass-123", roles=["curator"])
    client = APIClient()
    client.force_authenticate(curator)
    created = client.post("/api/imports/", {"sources": [str(folder)]}, format="json")
    assert created.status_code == 201, created.json()
    import_job_run(job_id=created.json()["id"], workers=1)
    for response in (client.get(f"/api/imports/{created.json()['id']}/"), client.get("/api/imports/")):
        assert response.status_code == 200
        assert "Doe" not in response.content.decode() and str(allowed) not in response.content.decode()
    shown = client.get(f"/api/imports/{created.json()['id']}/").json()
    assert shown["failed"] == 1 and shown["errors"][0]["item"].startswith("file-")
    assert "not a DICOM file" in shown["errors"][0]["error"]
    again = client.get(f"/api/imports/{created.json()['id']}/").json()
    assert again["errors"] == shown["errors"]  # pseudonyms are stable


def test_the_admin_can_neither_start_nor_edit_jobs_and_shows_pseudonyms(tmp_path, client):
    admin_user = user_create(username="root", password="root-pass-123", roles=["admin"], is_superuser=True)
    client.force_login(admin_user)
    (tmp_path / "Doe_Jane.dcm").write_bytes(b"not a dicom")
    job = import_job_create(sources=[str(tmp_path / "Doe_Jane.dcm")], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert job.failed == 1
    assert client.get("/admin/studies/importjob/add/").status_code == 403
    page = client.get(f"/admin/studies/importjob/{job.pk}/change/")
    assert page.status_code == 200 and "file-" in page.content.decode()
    assert "Doe" not in page.content.decode()
    client.post(f"/admin/studies/importjob/{job.pk}/change/", {"sources": '["/etc"]', "options": "{}"})
    job.refresh_from_db()
    assert job.sources == [str(tmp_path / "Doe_Jane.dcm")]


def test_a_layout_whose_metadata_is_not_utf8_is_an_error_naming_the_csv(tmp_path):
    root = tmp_path / "mimic"
    root.mkdir()
    (root / "mimic-cxr-2.0.0-metadata.csv").write_bytes(
        "dicom_id,subject_id,study_id,ViewPosition\nd1,10000001,50000001,PA\xe9\n".encode("latin-1")
    )
    job = import_job_create(sources=[str(root)], options={"layout": "mimic-cxr-jpg"}, enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert job.status == ImportJob.Status.DONE and job.failed == 1
    assert "mimic-cxr-2.0.0-metadata.csv: not UTF-8 text" in _errors(job)


def test_a_zip_member_whose_compressed_data_is_damaged_is_that_members_error(tmp_path):
    archive = tmp_path / "damaged.zip"
    good = write_dicom(tmp_path / "g.dcm", seed=8).read_bytes()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bad.dcm", bytes(range(256)) * 64)
        zf.writestr("good.dcm", good)
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("bad.dcm")
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 2 : start + 8] = b"\xff" * 6  # inside the deflate stream: zlib refuses it
    archive.write_bytes(bytes(data))
    job = import_job_create(sources=[str(archive)], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=1)
    assert job.status == ImportJob.Status.DONE and (job.imported, job.failed) == (1, 1)
    assert "bad.dcm: cannot extract" in _errors(job)


@pytest.mark.filterwarnings("ignore:Invalid value for VR:UserWarning")  # pydicom reads odd values, warns
def test_a_malformed_number_in_a_dicom_is_that_files_invalid_input(tmp_path, settings):
    from readingroom.studies.prepare import image_prepare

    path = write_dicom(tmp_path / "nul.dcm", window=(2048.0, 4096.0))
    raw = path.read_bytes()
    # the value of Window Center (0028,1050): 8 bytes after its tag in explicit and implicit VR alike (searching
    # for "2048" itself could hit a random UID that happens to contain it)
    at = raw.index(b"\x28\x00\x50\x10") + 8
    assert raw[at : at + 4] == b"2048"
    path.write_bytes(raw[:at] + b"\0" + raw[at + 1 :])  # Window Center "\0048"
    with pytest.raises(InvalidInput, match=r"nul.dcm: malformed DICOM attribute value \(ValueError"):
        image_prepare(path=path)
    assert not (settings.MEDIA_ROOT / "images").exists()  # nothing written

"""Import jobs under faults: inside a daemonic process (a Celery prefork worker), and a job that crashes."""

from __future__ import annotations

import multiprocessing

import pytest

from readingroom.studies import ingest
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.models import ImportJob
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


@pytest.fixture
def daemonic():
    """This process marked daemonic, as a Celery prefork worker's pool process is."""
    process = multiprocessing.current_process()
    process.daemon = True
    yield
    process.daemon = False


def test_parallel_import_runs_in_a_daemonic_process(daemonic, tmp_path):
    folder = tmp_path / "several"
    folder.mkdir()
    for i in range(3):
        write_dicom(folder / f"f{i}.dcm", seed=20 + i)
    job = import_job_create(sources=[str(folder)], enqueue=False)
    job = import_job_run(job_id=job.pk, workers=2)
    assert job.status == ImportJob.Status.DONE
    assert (job.imported, job.failed) == (3, 0), job.errors


def test_a_job_that_crashes_ends_failed_with_its_reason(tmp_path, monkeypatch):
    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(ingest, "ingest_items", unreadable)
    job = import_job_create(sources=[str(tmp_path)], enqueue=False)
    with pytest.raises(PermissionError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "PermissionError" in job.message and "Permission denied" in job.message
    assert job.finished_at is not None

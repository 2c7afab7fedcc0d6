"""Import jobs inside a real Celery prefork worker (the production pool), not only ``-P solo``.

A prefork worker's processes are daemonic, and a daemonic process may not start children: an import job
that prepares images in a process pool must still finish there instead of staying ``running``.
"""

from __future__ import annotations

import time

import pytest

from readingroom.studies.models import ImportJob
from tests.e2e.processes import start_worker, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

QUEUE = "io-prefork-test"  # only this test's worker listens here


@pytest.fixture
def prefork_worker(tmp_path):
    worker = start_worker(tmp_path / "worker.log", queues=QUEUE, pool="prefork")
    yield worker
    stop(worker)


def _finished(job_id: int, timeout: float = 90.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
            return job
        time.sleep(0.3)
    raise AssertionError(f"import job {job_id} still {job.status} after {timeout} s")


def test_a_folder_of_several_files_imports_in_a_prefork_worker(prefork_worker, tmp_path, settings):
    from readingroom.studies.ingest import import_job_create
    from readingroom.studies.tasks import run_import_job
    from tests.readingroom.conftest import write_dicom

    assert settings.INGEST_WORKERS >= 2  # the job prepares its images in parallel
    folder = tmp_path / "incoming"
    folder.mkdir()
    for i in range(3):
        write_dicom(folder / f"f{i}.dcm", rows=40, columns=32, seed=i)
    job = import_job_create(sources=[str(folder)], enqueue=False)
    run_import_job.apply_async((job.pk,), queue=QUEUE)

    job = _finished(job.pk)
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert (job.imported, job.failed) == (3, 0), job.errors

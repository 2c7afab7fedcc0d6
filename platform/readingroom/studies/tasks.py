"""Celery adapters of the studies services (routed to queue ``io``)."""

from __future__ import annotations

from celery import shared_task

from readingroom.core.exceptions import NotFound
from readingroom.studies.ingest import import_job_run


@shared_task(name="readingroom.studies.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> str:
    """Run or resume an import job; a deleted job is gone, not an error."""
    try:
        return import_job_run(job_id=job_id).status
    except NotFound:
        return "gone"

"""Celery adapters of the studies services (routed to queue ``io``)."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from readingroom.core.exceptions import NotFound
from readingroom.studies.ingest import import_job_run


@shared_task(
    name="readingroom.studies.run_import_job",
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    max_retries=3,
)
def run_import_job(job_id: int) -> str:
    """Run or resume an import job (retried after database or file-system errors: a rerun resumes);
    a deleted job is gone, not an error."""
    try:
        return import_job_run(job_id=job_id).status
    except NotFound:
        return "gone"

"""Celery adapters of the curation services (routed to queue ``io``)."""

from __future__ import annotations

from celery import shared_task

from readingroom.curation.exports import version_export
from readingroom.curation.models import DatasetVersion


@shared_task(name="readingroom.curation.export_version", acks_late=True)
def export_version(version_id: int, format: str, root: str) -> str:  # noqa: A002
    """Export a frozen dataset version into ``root``; a deleted version is gone, not an error."""
    version = DatasetVersion.objects.filter(pk=version_id).first()
    if version is None:
        return "gone"
    version_export(version=version, format=format, root=root)
    return "done"

"""The CoGaze reading room: a Django platform for chest X-ray reading with eye tracking."""

from readingroom.celery import app as celery_app

__all__ = ["celery_app"]

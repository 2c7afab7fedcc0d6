"""The Celery application. Start a worker with ``celery -A readingroom worker -Q default,io,gpu``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readingroom.settings")

app = Celery("readingroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

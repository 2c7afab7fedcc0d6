"""Registered model versions and their predictions."""

from __future__ import annotations

from django.db import models

from readingroom.reading.models import ReadingSession
from readingroom.studies.models import Image


class ModelVersion(models.Model):
    """A trained CoGaze checkpoint in the registry. At most one is active (used for predictions)."""

    name = models.CharField(max_length=128)
    version = models.CharField(max_length=64)
    description = models.TextField(
        blank=True, help_text="what it was trained on; shown beside its predictions"
    )
    checkpoint = models.CharField(max_length=512, help_text="path of the checkpoint, relative to MEDIA_ROOT")
    config_name = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="unique_model_version")]

    def __str__(self) -> str:
        return f"{self.name}:{self.version}"


class TrainingRun(models.Model):
    """A CoGaze training run executed by a worker on queue ``gpu``; registers a model version on success.

    ``data_spec`` is a ``cogaze`` dataset spec: ``phantoms:N`` (synthetic phantoms) or ``export:PATH`` (a
    dataset version exported in the CoGaze layout, PATH relative to MEDIA_ROOT).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    name = models.CharField(max_length=128)
    config_name = models.CharField(max_length=64, default="tiny")
    data_spec = models.CharField(max_length=512)
    max_steps = models.PositiveIntegerField(null=True, blank=True)
    activate = models.BooleanField(default=True, help_text="make the resulting model version the active one")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.config_name}, {self.data_spec}, {self.status})"


class Prediction(models.Model):
    """The model's output for the image of a reading session (or a message saying why there is none)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        NO_MODEL = "no_model"
        DONE = "done"
        FAILED = "failed"

    session = models.OneToOneField(ReadingSession, on_delete=models.CASCADE, related_name="prediction")
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    probabilities = models.JSONField(null=True, blank=True)
    findings = models.TextField(blank=True)
    attention_file = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

"""Registered model versions and their predictions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from readingroom.reading.models import ReadingProject, ReadingSession
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
    is_active = models.BooleanField(
        default=False, help_text="the global default, for reading projects without a current version"
    )
    config = models.JSONField(
        default=dict, blank=True, help_text="the cogaze configuration of the checkpoint"
    )
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    dataset_version = models.ForeignKey(
        "curation.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="model_versions",
        help_text="the frozen dataset version it was trained on (empty for phantoms)",
    )  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
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
        CANCELLED = "cancelled"

    name = models.CharField(max_length=128)
    config_name = models.CharField(max_length=64, default="tiny")
    data_spec = models.CharField(max_length=512)
    dataset_version = models.ForeignKey(
        "curation.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="training_runs",
        help_text="train on this frozen dataset version's train split (then data_spec is dataset-version:ID)",
    )  # fmt: skip
    checkpoint_every = models.PositiveIntegerField(
        null=True, blank=True, help_text="override of the config's"
    )
    progress = models.JSONField(
        default=list, blank=True, help_text='[{"step": n, "loss": x}, ...] as it runs'
    )
    log = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    resumes = models.PositiveIntegerField(default=0, help_text="times resumed from its checkpoint")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="last progress written by the worker"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
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


class ModelEvaluation(models.Model):
    """A candidate scored against a reading project's current version on a frozen held-out set.

    Stored whether or not the candidate wins; ``beats`` says whether ``candidate_value`` exceeded
    ``baseline_value`` by at least ``margin`` (no baseline: the first version of a project always beats).
    A promotion asked through the API is ``queued`` first and evaluated by a worker (queue ``gpu``): the
    baseline, values and ``beats`` are filled when it is ``done``; ``failed`` keeps the reason in ``error``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="model_evaluations")
    candidate = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    baseline = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="baseline_evaluations"
    )
    heldout_version = models.ForeignKey(
        "curation.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations"
    )
    heldout_spec = models.CharField(
        max_length=256, help_text="the held-out set as evaluated (kind, size, seed)"
    )
    metric = models.CharField(max_length=64)
    margin = models.FloatField()
    candidate_value = models.FloatField(null=True)
    baseline_value = models.FloatField(null=True)
    beats = models.BooleanField(default=False)
    promoted = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, help_text="why a failed evaluation failed")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="last change of status (the reaper's clock)")

    def __str__(self) -> str:
        return f"{self.candidate} vs {self.baseline} on {self.heldout_spec}: {self.metric}"


class ProjectModel(models.Model):
    """The current model version of a reading project (one row per project; locked to promote)."""

    project = models.OneToOneField(ReadingProject, on_delete=models.CASCADE, related_name="current_model")
    current = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)


class ModelChange(models.Model):
    """One change of a project's current version: a promotion (through an evaluation) or a rollback."""

    class Kind(models.TextChoices):
        PROMOTE = "promote"
        ROLLBACK = "rollback"

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="model_changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    previous = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.OneToOneField(
        ModelEvaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="change"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]


class InferenceJob(models.Model):
    """Inference on demand: a model version over a cohort or a frozen dataset version, in batches."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="inference_jobs")
    cohort = models.ForeignKey(
        "curation.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dataset_version = models.ForeignKey(
        "curation.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch_size = models.PositiveIntegerField(default=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.JSONField(default=dict, blank=True, help_text="image id -> why it could not be predicted")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class ImagePrediction(models.Model):
    """A model version's output for one image: 14 probabilities, report draft, attention map, embedding."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="model_predictions")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="image_predictions"
    )
    probabilities = models.JSONField()
    findings = models.TextField(blank=True)
    attention_file = models.CharField(max_length=255, help_text="float32 .npy (H, W) under MEDIA_ROOT")
    embedding = models.JSONField(help_text="L2-normalised image embedding")
    job = models.ForeignKey(
        InferenceJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "model_version"], name="one_prediction_per_version")
        ]

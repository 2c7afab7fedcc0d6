"""Active-learning loops of reading projects and their rounds."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from readingroom.modeling.models import ModelEvaluation, ModelVersion
from readingroom.reading.models import ReadingProject
from readingroom.studies.models import Image


class LearningLoop(models.Model):
    """How a reading project learns: the unread pool, the arm, the readers, the held-out set, the triggers."""

    project = models.OneToOneField(ReadingProject, on_delete=models.CASCADE, related_name="learning_loop")
    pool = models.ManyToManyField(Image, related_name="+", help_text="the studies the rounds choose from")
    readers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    scoring = models.CharField(max_length=64, blank=True, help_text="scoring method; empty for random")
    strategy = models.CharField(max_length=64, default="top_k")
    per_round = models.PositiveIntegerField(default=8)
    heldout_version = models.ForeignKey(
        "curation.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    heldout_phantoms = models.PositiveIntegerField(
        default=0, help_text="SYNTHETIC held-out set when no version"
    )
    config_name = models.CharField(max_length=64, default="tiny")
    train_steps = models.PositiveIntegerField(default=40)
    retrain_every = models.PositiveIntegerField(
        default=0, help_text="start a round after N new reads (0: off)"
    )
    plateau_rounds = models.PositiveIntegerField(default=3)
    plateau_delta = models.FloatField(default=0.005)
    stopped_reason = models.TextField(blank=True, help_text="set when the held-out metric has plateaued")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"learning loop of {self.project}"


class LearningRound(models.Model):
    """One round: score the unread pool, select, assign, wait for the reads, retrain, evaluate, promote or not."""

    class Status(models.TextChoices):
        READING = "reading"
        TRAINING = "training"
        DONE = "done"
        FAILED = "failed"

    OPEN = (Status.READING, Status.TRAINING)

    loop = models.ForeignKey(LearningLoop, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READING)
    scoring = models.CharField(max_length=64, blank=True)
    strategy = models.CharField(max_length=64)
    model_before = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_after = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluation = models.ForeignKey(
        ModelEvaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reads_at_start = models.PositiveIntegerField(default=0)
    reads_at_end = models.PositiveIntegerField(null=True, blank=True)
    heldout_value = models.FloatField(
        null=True, blank=True, help_text="the retrained model's held-out metric"
    )
    selected = models.JSONField(default=list, help_text='[{"study": id, "image": id, "score": float|null}]')
    scores = models.JSONField(default=dict, help_text="study id -> score of the whole unread pool")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["loop", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loop", "number"], name="learning_round_number"),
            models.UniqueConstraint(
                fields=["loop"],
                condition=models.Q(status__in=["reading", "training"]),
                name="learning_one_open_round",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"round {self.number} of {self.loop.project} ({self.status})"

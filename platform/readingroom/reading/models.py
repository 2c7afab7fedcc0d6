"""Reading projects, assignments (the worklist), reading sessions, reports and viewer events."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from cogaze.labels import OBSERVATIONS as CHEXPERT_OBSERVATIONS
from readingroom.studies.models import Image, Study

# The 14 CheXpert observations, in the order the model's heads use (one list for the whole project).
OBSERVATIONS: tuple[str, ...] = CHEXPERT_OBSERVATIONS
LABEL_VALUES: tuple[str, ...] = ("present", "absent", "uncertain", "not_mentioned")


class ReadingProject(models.Model):
    """A reading study: a set of cases assigned to readers."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """One case on one reader's worklist."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        DONE = "done"

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="assignments")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="assignments")
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "reader", "study"], name="one_assignment_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.reader} / {self.study} ({self.status})"


def _capture_token() -> str:
    return secrets.token_urlsafe(24)


class ReadingSession(models.Model):
    """One sitting of a reader on one assignment: gaze, view events and the report hang off it.

    ``screen`` holds the screen geometry (px, mm, viewing distance) used to convert gaze to degrees;
    ``clock_offsets`` maps each sender stream to its estimated server-minus-device clock offset
    (``{"offset_ms": float, "pings": int}``, minimum-delay estimate), which puts the samples and view
    events of every stream (a browser page, a tracker bridge) on one clock.
    """

    class Status(models.TextChoices):
        OPEN = "open"
        SUBMITTED = "submitted"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="sessions")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    capture_token = models.CharField(max_length=64, unique=True, default=_capture_token)
    screen = models.JSONField(default=dict, blank=True)
    clock_offsets = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.reader}"


class Report(models.Model):
    """The reader's report: free text and the 14 observations (see :data:`OBSERVATIONS`)."""

    session = models.OneToOneField(ReadingSession, on_delete=models.CASCADE, related_name="report")
    findings = models.TextField(blank=True)
    impression = models.TextField(blank=True)
    labels = models.JSONField(help_text="observation name -> present/absent/uncertain/not_mentioned")
    submitted_at = models.DateTimeField(auto_now_add=True)
    sentence_spans = models.JSONField(
        default=list,
        blank=True,
        help_text="dictated sentences with their time spans: [{text, start_ms, end_ms}] on the gaze clock "
        "(imported REFLACX / EGD-CXR transcripts)",
    )


class ViewEvent(models.Model):
    """A change of the viewer's view, on the device clock of the gaze samples (``t_ms``).

    ``image_region`` (x0, y0, x1, y1, image px) is what was drawn in ``screen_rect`` (x0, y0, x1, y1, the
    same screen coordinates as the gaze samples). Stored once per (session, stream, seq).
    """

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="view_events")
    stream = models.CharField(max_length=64, blank=True)
    seq = models.PositiveIntegerField()
    t_ms = models.FloatField()
    image = models.ForeignKey(Image, on_delete=models.CASCADE)
    image_region = models.JSONField()
    screen_rect = models.JSONField()
    window_width = models.FloatField(null=True)
    window_level = models.FloatField(null=True)
    zoom = models.FloatField(null=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["t_ms", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "stream", "seq"], name="one_view_event_per_stream_seq")
        ]

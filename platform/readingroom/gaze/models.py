"""Gaze samples (stored in chunks, one row per batch), fixations, and the analysis of a session."""

from __future__ import annotations

from django.db import models

from readingroom.reading.models import ReadingSession
from readingroom.studies.models import Image


class GazeChunk(models.Model):
    """One batch of raw samples as sent by the device, stored once per (session, stream, seq).

    A sender (a browser page, a bridge process) picks a random ``stream`` id and numbers its batches from 0,
    so a reloaded page or a restarted bridge never collides with what an earlier one stored.

    ``data`` is a little-endian float64 array of shape (4, n): device time (ms), screen x, screen y (px),
    validity (1/0). Chunks are read back in ``seq`` order.
    """

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="gaze_chunks")
    stream = models.CharField(
        max_length=64, blank=True, help_text="the sender's stream id (one per sender run)"
    )
    seq = models.PositiveIntegerField()
    device = models.CharField(max_length=64)
    n_samples = models.PositiveIntegerField()
    t_first_ms = models.FloatField()
    t_last_ms = models.FloatField()
    data = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["t_first_ms", "stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "stream", "seq"], name="one_gaze_chunk_per_stream_seq")
        ]


class GazeAnalysis(models.Model):
    """What the worker computed from a session's gaze: fixations, quality, and the gaze prior."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    session = models.OneToOneField(ReadingSession, on_delete=models.CASCADE, related_name="gaze_analysis")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    detector = models.CharField(max_length=32, blank=True)
    sample_count = models.PositiveIntegerField(default=0)
    valid_fraction = models.FloatField(null=True)
    on_image_fraction = models.FloatField(null=True)
    fixation_count = models.PositiveIntegerField(null=True)
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL)
    prior_file = models.CharField(
        max_length=255, blank=True, help_text="float32 .npy, image-sized, sums to 1"
    )
    heatmap_file = models.CharField(max_length=255, blank=True, help_text="RGBA PNG for display")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "gaze analyses"


class Fixation(models.Model):
    """A fixation of a session: device times (ms), screen position (px) and image position (px)."""

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="fixations")
    index = models.PositiveIntegerField()
    onset_ms = models.FloatField()
    offset_ms = models.FloatField()
    duration_ms = models.FloatField()
    x_screen = models.FloatField()
    y_screen = models.FloatField()
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL)
    x_image = models.FloatField(null=True)
    y_image = models.FloatField(null=True)

    class Meta:
        ordering = ["session", "index"]
        constraints = [models.UniqueConstraint(fields=["session", "index"], name="one_fixation_per_index")]

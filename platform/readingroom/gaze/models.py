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
        max_length=255,
        blank=True,
        help_text="float32 .npy summing to 1, the image's size divided by prior_downsample (rounded up)",
    )
    prior_downsample = models.PositiveSmallIntegerField(
        default=1, help_text="the whole factor the prior is reduced by (readingroom.gaze.prior_scale)"
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


class TrackerCheck(models.Model):
    """A calibration, validation or drift check of a session's tracker, computed on the server.

    The figures come from :func:`gaze_capture.quality.validate` (calibration and validation) and
    :func:`gaze_capture.quality.drift_check` (drift) applied to the target times and gaze samples the client
    sent, never from numbers the client computed. ``targets`` holds the per-target figures
    (``x``, ``y`` in screen px; ``accuracy_deg``, ``precision_rms_deg``, ``precision_sd_deg``,
    ``data_loss_pct``, ``n_samples``); ``limits`` the thresholds in force when it was judged.
    """

    class Kind(models.TextChoices):
        CALIBRATION = "calibration"
        VALIDATION = "validation"
        DRIFT = "drift"

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="tracker_checks")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    device = models.CharField(max_length=64, blank=True)
    stream = models.CharField(max_length=64, blank=True)
    targets = models.JSONField(default=list)
    accuracy_deg = models.FloatField(null=True, help_text="mean accuracy (drift: the offset), degrees")
    max_accuracy_deg = models.FloatField(null=True)
    precision_rms_deg = models.FloatField(null=True, help_text="RMS sample-to-sample, degrees")
    precision_sd_deg = models.FloatField(null=True)
    data_loss_pct = models.FloatField(null=True)
    offset_px = models.JSONField(null=True, blank=True, help_text="drift: [dx, dy] gaze minus target, px")
    sample_count = models.PositiveIntegerField(default=0)
    passed = models.BooleanField()
    limits = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class SentencePrior(models.Model):
    """The gaze prior of one report sentence: fixations weighted by their overlap with its time span.

    ``prior_file`` is a float32 .npy summing to 1, of the image's shape reduced by ``prior_downsample``
    (:mod:`readingroom.gaze.prior_scale`; empty when no fixation on the image overlapped the span). ``version`` is the number of the report version the sentence belongs to.
    """

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="sentence_priors")
    version = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    text = models.TextField()
    source = models.CharField(max_length=16)
    start_ms = models.FloatField()
    end_ms = models.FloatField()
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL)
    prior_file = models.CharField(max_length=255, blank=True)
    prior_downsample = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["session", "version", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "version", "index"], name="one_sentence_prior")
        ]

"""Reading projects (reader studies with arms), assignments (the worklist), reading sessions, reports (with
their versions and sentence time spans) and viewer events."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from cogaze.labels import OBSERVATIONS as CHEXPERT_OBSERVATIONS
from readingroom.studies.models import Image, Study

# The 14 CheXpert observations, in the order the model's heads use (one list for the whole project).
OBSERVATIONS: tuple[str, ...] = CHEXPERT_OBSERVATIONS
LABEL_VALUES: tuple[str, ...] = ("present", "absent", "uncertain", "not_mentioned")


def _study_seed() -> int:
    return secrets.randbelow(2**31)


class ReadingProject(models.Model):
    """A reading project: a set of cases assigned to readers.

    A plain project is a worklist filled by hand (:func:`readingroom.reading.services.project_assign`). A
    reader study also has a frozen dataset version (its cases), arms, readers and a seed: a study lead sets
    it up as a draft and starts it, which puts every case of every arm on every reader's worklist in an
    order randomised per reader and arm from ``seed`` (see :mod:`readingroom.reading.study_services`).
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        CLOSED = "closed"

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    dataset = models.ForeignKey(
        "curation.Dataset", null=True, blank=True, on_delete=models.PROTECT, related_name="reader_studies"
    )
    dataset_version = models.ForeignKey(
        "curation.DatasetVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reader_studies",
        help_text="the frozen dataset version whose studies are the cases",
    )
    split = models.CharField(max_length=8, blank=True, help_text="only cases of this split (blank: all)")
    seed = models.BigIntegerField(default=_study_seed, help_text="seed of the per-reader case orders")
    washout_days = models.FloatField(
        default=0.0, help_text="days between a reader's last read in one arm and their first in the next"
    )
    counterbalance = models.BooleanField(
        default=True, help_text="rotate the arm order between readers (a Latin square) instead of one order"
    )
    require_calibration = models.BooleanField(
        default=False, help_text="refuse to submit a report while the tracker's recalibration is due"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class StudyArm(models.Model):
    """An arm of a reader study: how the model's predictions are shown while reading.

    ``unaided``: never shown to the reader during the study. ``ai_assisted``: shown from the start of each
    read. ``second_read``: the reader submits a first read unaided, then sees the predictions and submits a
    second read (both kept as versions of the report).
    """

    class Mode(models.TextChoices):
        UNAIDED = "unaided"
        AI_ASSISTED = "ai_assisted"
        SECOND_READ = "second_read"

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(max_length=64)
    mode = models.CharField(max_length=16, choices=Mode.choices)
    position = models.PositiveIntegerField(help_text="order of the arm in the study (0 first)")

    class Meta:
        ordering = ["project_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="one_arm_per_position"),
            models.UniqueConstraint(fields=["project", "name"], name="unique_arm_name"),
        ]

    def __str__(self) -> str:
        return f"{self.project} / {self.name} ({self.mode})"


class StudyReader(models.Model):
    """A reader of a reader study, with the seed of their case orders and the order of their arms."""

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="study_readers")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)
    seed = models.BigIntegerField(null=True, blank=True, help_text="set when the study starts")
    arm_order = models.JSONField(default=list, blank=True, help_text="arm ids in reading order")

    class Meta:
        ordering = ["project_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "reader"], name="one_study_reader")]


class Assignment(models.Model):
    """One case on one reader's worklist."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        DONE = "done"

    project = models.ForeignKey(ReadingProject, on_delete=models.CASCADE, related_name="assignments")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="assignments")
    arm = models.ForeignKey(
        StudyArm, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reassigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "reader", "study"],
                condition=models.Q(arm__isnull=True),
                name="one_assignment_per_case",
            ),
            models.UniqueConstraint(
                fields=["project", "reader", "study", "arm"], name="one_assignment_per_case_and_arm"
            ),
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
        ABANDONED = "abandoned"  # closed without a report: the case was reassigned to another reader

    class Phase(models.TextChoices):
        FIRST_READ = "first_read"
        SECOND_READ = "second_read"  # a second-read arm's session after its first read was submitted

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="sessions")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    capture_token = models.CharField(max_length=64, unique=True, default=_capture_token)
    screen = models.JSONField(default=dict, blank=True)
    clock_offsets = models.JSONField(default=dict, blank=True)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.FIRST_READ)
    closed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.reader}"


class Report(models.Model):
    """The reader's report: free text and the 14 observations (see :data:`OBSERVATIONS`).

    Locked once submitted: the fields hold the latest version, and every version (the first submit, a
    second read, each amendment) is kept whole in :class:`ReportVersion`.
    """

    session = models.OneToOneField(ReadingSession, on_delete=models.CASCADE, related_name="report")
    findings = models.TextField(blank=True)
    impression = models.TextField(blank=True)
    labels = models.JSONField(help_text="observation name -> present/absent/uncertain/not_mentioned")
    submitted_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, help_text="number of the latest version")
    sentence_spans = models.JSONField(
        default=list,
        blank=True,
        help_text="dictated sentences with their time spans: [{text, start_ms, end_ms}] on the gaze clock "
        "(imported REFLACX / EGD-CXR transcripts)",
    )


class ReportVersion(models.Model):
    """One version of a report, never changed: who wrote it, when, why, and its sentence time spans.

    ``sentences`` is a list of ``{"text", "start_ms", "end_ms", "source"}`` on the session clock (server
    epoch ms: each sender stream's times plus its estimated clock offset), in report order; ``source`` is
    ``typing`` or ``dictation``.
    """

    class Kind(models.TextChoices):
        FIRST_READ = "first_read"
        SECOND_READ = "second_read"
        AMENDMENT = "amendment"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    findings = models.TextField(blank=True)
    impression = models.TextField(blank=True)
    labels = models.JSONField()
    sentences = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, help_text="why an amendment was made")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report_id", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")]


class DictationTranscript(models.Model):
    """Time-stamped words of a dictation, as sent by a bridge, on the sender stream's clock (ms).

    ``words`` is a list of ``[word, start_ms, end_ms]``. A report submitted without typed sentence spans
    takes its spans from the session's transcripts (sentences whose text appears in the report).
    """

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="transcripts")
    stream = models.CharField(max_length=64, blank=True)
    words = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


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


class ResultsEvent(models.Model):
    """A session's results changed: the web processes push them to the session's open sockets.

    Written by whoever changed them (the worker, a web request) after commit and read by every web process's
    relay (see :mod:`readingroom.reading.events`), so that no gaze socket depends on the channel layer.
    """

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

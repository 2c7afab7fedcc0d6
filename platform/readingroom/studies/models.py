"""Patients (pseudonymised), studies and images, with the display derivatives of each image."""

from __future__ import annotations

from django.db import models


class Patient(models.Model):
    """A patient known only by a pseudonymous key (a keyed hash of the source's patient id)."""

    key = models.CharField(max_length=64, unique=True)
    sex = models.CharField(max_length=1, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"patient {self.key[:12]}"


class Study(models.Model):
    """One imaging study. UIDs are the platform's own, remapped consistently from the source's."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="studies")
    study_uid = models.CharField(max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True)
    description = models.CharField(max_length=256, blank=True)
    indication = models.TextField(blank=True, help_text="Clinical indication shown to the reader")
    history = models.TextField(blank=True, help_text="Clinical history shown to the reader")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["id"]

    @property
    def title(self) -> str:
        return self.description or f"{self.modality or 'XR'} chest study {self.pk}"

    def __str__(self) -> str:
        return self.title


class Image(models.Model):
    """One radiograph. Pixels are kept as stored values (uint16) beside an 8-bit display rendering.

    ``window_center``/``window_width`` are in modality units (after rescale slope/intercept); a DICOM import
    takes them from the header, or leaves them empty until the pixels are first derived
    (:func:`readingroom.studies.pixels.image_window`). The pixel file and the display's table are made from
    the stored DICOM when first read (:mod:`readingroom.studies.pixels`): read them only through there.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="images")
    sop_uid = models.CharField(max_length=64, unique=True)
    source_sha256 = models.CharField(max_length=64, unique=True, help_text="hash of the imported file")
    modality = models.CharField(max_length=16, blank=True)
    view_position = models.CharField(max_length=16, blank=True)
    rows = models.PositiveIntegerField()
    columns = models.PositiveIntegerField()
    bits_stored = models.PositiveSmallIntegerField()
    photometric_interpretation = models.CharField(max_length=16)
    rescale_slope = models.FloatField(default=1.0)
    rescale_intercept = models.FloatField(default=0.0)
    window_center = models.FloatField(
        null=True,
        blank=True,
        help_text="modality units; the header's, else computed from the pixels when first read",
    )
    window_width = models.FloatField(null=True, blank=True)
    pixel_spacing = models.JSONField(null=True, blank=True, help_text="[row mm, column mm]")
    pixels_file = models.CharField(max_length=255, help_text="raw uint16 little-endian, row-major")
    display_file = models.CharField(max_length=255, help_text="8-bit PNG, windowed and inverted")
    thumbnail_file = models.CharField(max_length=255)
    dicom_file = models.CharField(
        max_length=255, blank=True, help_text="the de-identified DICOM file (never the original)"
    )
    burned_in_annotation = models.BooleanField(
        default=False, help_text="the source says identifying text may be burned into the pixels"
    )
    source_identifiers = models.JSONField(
        default=dict, blank=True, help_text="source ids; empty unless DEID_STORE_SOURCE_IDENTIFIERS is set"
    )
    dataset_image_id = models.CharField(
        max_length=128,
        blank=True,
        db_index=True,
        help_text="the image's id in a public, already de-identified data set (e.g. 'mimic:<dicom_id>'), "
        "used to attach that data set's gaze files; never a hospital identifier",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"image {self.pk} ({self.view_position or '?'}, {self.columns}x{self.rows})"


class ImportJob(models.Model):
    """A batch import of files, folders, zip archives and metadata CSVs, with progress and a per-file report.

    ``errors`` is a list of ``{"item": <file or archive!member>, "error": <message>}``; ``processed_keys``
    lists the items finished (imported, skipped or failed), so that a rerun resumes where it stopped.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    sources = models.JSONField(default=list, help_text="paths of files, folders, zip archives and CSVs")
    options = models.JSONField(default=dict, blank=True, help_text="indication, history")
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    total = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="already imported (same content)")
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    processed_keys = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    @property
    def done(self) -> int:
        return self.imported + self.skipped + self.failed

    @property
    def progress(self) -> float:
        """Fraction of the items finished, 0 to 1."""
        return self.done / self.total if self.total else (1.0 if self.status == self.Status.DONE else 0.0)

    def __str__(self) -> str:
        return f"import job {self.pk} ({self.status}, {self.done}/{self.total})"

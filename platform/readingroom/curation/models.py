"""Curation: study reports and labels (with edit history), cohorts, datasets and frozen dataset versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from readingroom.core.exceptions import Conflict
from readingroom.studies.models import Image, Study


class StudyReport(models.Model):
    """A study's free-text report, imported or copied from a reader's report, split into sections."""

    class Source(models.TextChoices):
        IMPORTED = "imported"
        READER = "reader"

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="curated_report")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.IMPORTED)
    text = models.TextField(blank=True, help_text="the full report as received")
    findings = models.TextField(blank=True)
    impression = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"report of study {self.study_id}"


class StudyLabels(models.Model):
    """The curated 14 CheXpert labels of a study: observation -> present/absent/uncertain/not_mentioned."""

    class Source(models.TextChoices):
        LABELER = "labeler"
        READER = "reader"
        CURATOR = "curator"

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="curated_labels")
    labels = models.JSONField(default=dict)
    source = models.CharField(max_length=16, choices=Source.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "study labels"

    def __str__(self) -> str:
        return f"labels of study {self.study_id} ({self.source})"


class LabelEdit(models.Model):
    """One change of one observation's label of a study: the history of :class:`StudyLabels`."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="label_edits")
    observation = models.CharField(max_length=64)
    old_value = models.CharField(max_length=16, blank=True)
    new_value = models.CharField(max_length=16)
    source = models.CharField(max_length=16)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Cohort(models.Model):
    """A saved set of filters over images (see :func:`readingroom.curation.selectors.cohort_filter_images`)."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A named, versioned dataset built from a cohort."""

    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class DatasetVersion(models.Model):
    """A frozen, immutable release of a dataset: its manifest and the manifest's SHA-256.

    Saving a changed version, or deleting one, raises :class:`Conflict`.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    split_fractions = models.JSONField(help_text='{"train": 0.8, "val": 0.1, "test": 0.1}')
    filters = models.JSONField(default=dict, blank=True, help_text="the cohort filters at freezing")
    manifest = models.JSONField()
    manifest_sha256 = models.CharField(max_length=64)
    item_count = models.PositiveIntegerField()
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    frozen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="unique_dataset_version")]

    @property
    def tag(self) -> str:
        return f"v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and DatasetVersion.objects.filter(pk=self.pk).exists():
            raise Conflict(f"dataset version {self.pk} is frozen and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(f"dataset version {self.pk} is frozen and cannot be deleted")

    def __str__(self) -> str:
        return f"{self.dataset} {self.tag}"


class DatasetItem(models.Model):
    """One image of a frozen dataset version, with its split (rows mirror the manifest, for queries)."""

    class Split(models.TextChoices):
        TRAIN = "train"
        VAL = "val"
        TEST = "test"

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="items")
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="dataset_items")
    split = models.CharField(max_length=8, choices=Split.choices)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["version", "image"], name="unique_version_image")]

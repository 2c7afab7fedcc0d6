"""Writes for curation: reports and labels (with history), cohorts, datasets and frozen versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction

from readingroom.core.exceptions import InvalidInput
from readingroom.core.models import User
from readingroom.curation.labeler import report_label, report_sections
from readingroom.curation.models import (
    Cohort,
    Dataset,
    DatasetItem,
    DatasetVersion,
    LabelEdit,
    StudyLabels,
    StudyReport,
)
from readingroom.curation.selectors import (
    cohort_filter_images,
    cohort_filters_clean,
    image_gaze_analyses,
    study_labels,
    study_report_text,
)
from readingroom.curation.splits import patient_splits, split_fractions_clean
from readingroom.reading.models import LABEL_VALUES, OBSERVATIONS
from readingroom.studies.models import Study


def study_labels_set(
    *, study: Study, labels: dict[str, str], source: str, user: User | None = None, reason: str = ""
) -> StudyLabels:
    """Set some or all of a study's labels; every changed observation is recorded as a :class:`LabelEdit`.

    ``labels`` maps observation names to present/absent/uncertain/not_mentioned; observations not given
    keep their value. ``source`` is ``labeler``, ``reader`` or ``curator``.
    """
    if source not in StudyLabels.Source.values:
        raise InvalidInput(f"source: must be one of {StudyLabels.Source.values}")
    if not isinstance(labels, dict):
        raise InvalidInput("labels: must map observation names to states")
    for obs, value in labels.items():
        if obs not in OBSERVATIONS:
            raise InvalidInput(f"labels: unknown observation {obs!r}")
        if value not in LABEL_VALUES:
            raise InvalidInput(f"labels[{obs!r}]: must be one of {list(LABEL_VALUES)}, got {value!r}")
    with transaction.atomic():
        current = study_labels(study=study)
        record, _ = StudyLabels.objects.select_for_update().get_or_create(
            study=study, defaults={"labels": current, "source": source}
        )
        merged = {**current, **record.labels}
        for obs, value in labels.items():
            if merged.get(obs) != value:
                LabelEdit.objects.create(study=study, observation=obs, old_value=merged.get(obs, ""),
                                         new_value=value, source=source, edited_by=user, reason=reason)  # fmt: skip
                merged[obs] = value
        record.labels, record.source = merged, source
        record.save()
    return record


def study_report_set(
    *, study: Study, text: str, source: str = StudyReport.Source.IMPORTED, label: bool = True
) -> StudyReport:
    """Store a study's free-text report split into sections; fill empty indication/history of the study.

    With ``label``, the rule-based labeler labels the report (findings and impression) unless a curator
    has already edited this study's labels.
    """
    if not text.strip():
        raise InvalidInput("text: the report is empty")
    sections = report_sections(text)
    with transaction.atomic():
        report, _ = StudyReport.objects.update_or_create(
            study=study,
            defaults={
                "text": text,
                "source": source,
                "findings": sections["findings"],
                "impression": sections["impression"],
            },  # fmt: skip
        )
        changed = []
        for name in ("indication", "history"):
            if sections[name] and not getattr(study, name):
                setattr(study, name, sections[name])
                changed.append(name)
        if changed:
            study.save(update_fields=changed)
        curated = StudyLabels.objects.filter(study=study, source=StudyLabels.Source.CURATOR).exists()
        if label and not curated:
            labels = report_label(f"{sections['findings']}\n{sections['impression']}")
            study_labels_set(study=study, labels=labels, source=StudyLabels.Source.LABELER)
    return report


def cohort_create(*, name: str, filters: dict[str, Any] | None = None, description: str = "",
                  user: User | None = None) -> Cohort:  # fmt: skip
    """Save a cohort (validated filters; see :func:`.selectors.cohort_filters_clean`)."""
    if not name.strip():
        raise InvalidInput("name: must not be empty")
    if Cohort.objects.filter(name=name).exists():
        raise InvalidInput(f"name: a cohort named {name!r} exists")
    return Cohort.objects.create(name=name, filters=cohort_filters_clean(filters), description=description,
                                 created_by=user)  # fmt: skip


def dataset_create(*, name: str, cohort: Cohort | None = None, description: str = "",
                   user: User | None = None) -> Dataset:  # fmt: skip
    """Create a dataset, optionally over a cohort."""
    if not name.strip():
        raise InvalidInput("name: must not be empty")
    if Dataset.objects.filter(name=name).exists():
        raise InvalidInput(f"name: a dataset named {name!r} exists")
    return Dataset.objects.create(name=name, cohort=cohort, description=description, created_by=user)


def manifest_sha256(manifest: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a manifest (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def dataset_version_freeze(
    *,
    dataset: Dataset,
    seed: int = 0,
    split_fractions: dict[str, float] | None = None,
    filters: dict[str, Any] | None = None,
    notes: str = "",
    user: User | None = None,
) -> DatasetVersion:
    """Freeze the dataset's current cohort into a new, immutable version with patient-level splits.

    The images are those matching ``filters`` (default: the dataset's cohort's filters). The manifest
    lists, per image, the content hash of the source file, the study's labels and report text at freezing,
    its split and its gaze sessions; the version stores the manifest's SHA-256.
    """
    fractions = split_fractions_clean(split_fractions)
    if filters is None:
        filters = dataset.cohort.filters if dataset.cohort else {}
    filters = cohort_filters_clean(filters)
    images = cohort_filter_images(filters=filters)
    if not images:
        raise InvalidInput(f"dataset {dataset.name!r}: the cohort matches no images; nothing to freeze")
    splits = patient_splits([i.study.patient.key for i in images], seed=seed, fractions=fractions)
    items, labels_cache, text_cache = [], {}, {}
    for image in images:
        study = image.study
        if study.pk not in labels_cache:
            labels_cache[study.pk] = study_labels(study=study)
            text_cache[study.pk] = study_report_text(study=study)
        items.append({
            "image_id": image.pk, "sop_uid": image.sop_uid, "study_id": study.pk, "study_uid": study.study_uid,
            "patient": study.patient.key[:16], "sex": study.patient.sex, "split": splits[study.patient.key],
            "view_position": image.view_position, "modality": image.modality,
            "rows": image.rows, "columns": image.columns, "source_sha256": image.source_sha256,
            "indication": study.indication, "history": study.history, **text_cache[study.pk],
            "labels": labels_cache[study.pk],
            "gaze_sessions": [a.session_id for a in image_gaze_analyses(image=image)],
        })  # fmt: skip
    with transaction.atomic():
        number = (dataset.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        manifest = {"format": "readingroom-dataset", "dataset": dataset.name, "version": number, "seed": seed,
                    "split_fractions": fractions, "filters": filters, "items": items}  # fmt: skip
        version = DatasetVersion.objects.create(
            dataset=dataset, number=number, seed=seed, split_fractions=fractions, filters=filters,
            manifest=manifest, manifest_sha256=manifest_sha256(manifest), item_count=len(items),
            notes=notes, created_by=user,
        )  # fmt: skip
        DatasetItem.objects.bulk_create(
            DatasetItem(version=version, image=image, split=item["split"])
            for image, item in zip(images, items, strict=True)
        )
    return version


def version_export_queue(*, version: DatasetVersion, format: str) -> str:  # noqa: A002
    """Queue an export of ``version`` (on commit, queue ``io``) under ``EXPORT_ROOT``; returns the folder."""
    from django.conf import settings
    from django.utils import timezone

    from readingroom.curation.exports import EXPORTERS
    from readingroom.curation.tasks import export_version

    if format not in EXPORTERS:
        raise InvalidInput(f"format: unknown export format {format!r}; choose from {sorted(EXPORTERS)}")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    root = settings.EXPORT_ROOT / f"dataset-{version.dataset_id}-{version.tag}" / f"{format}-{stamp}"
    transaction.on_commit(lambda: export_version.delay(version.pk, format, str(root)))
    return str(root)

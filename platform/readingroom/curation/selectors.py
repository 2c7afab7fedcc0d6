"""Reads for curation: cohort filters over images, a study's current labels and report text."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from readingroom.core.exceptions import InvalidInput
from readingroom.curation.labeler import NOT_MENTIONED
from readingroom.curation.models import StudyLabels, StudyReport
from readingroom.gaze.models import GazeAnalysis, GazeChunk
from readingroom.reading.models import LABEL_VALUES, OBSERVATIONS, Report
from readingroom.studies.models import Image, Study

READING_STATUSES = ("any", "read", "unread")
_LIST_FILTERS = {"view_positions": "view_position", "modalities": "modality", "sexes": "study__patient__sex"}


def cohort_filters_clean(filters: dict[str, Any] | None) -> dict[str, Any]:
    """Validate cohort filters; raise :class:`InvalidInput` naming the bad field.

    Keys (all optional): ``view_positions``, ``modalities``, ``sexes`` (lists of strings, matched in upper
    case), ``labels`` (observation -> list of states, e.g. ``{"Cardiomegaly": ["present", "uncertain"]}``),
    ``reading_status`` (``any``/``read``/``unread``), ``has_gaze`` (bool).
    """
    if filters is not None and not isinstance(filters, dict):
        raise InvalidInput("filters: must be an object mapping filter keys to their values")
    filters = dict(filters or {})
    unknown = set(filters) - {*_LIST_FILTERS, "labels", "reading_status", "has_gaze"}
    if unknown:
        raise InvalidInput(f"filters: unknown key(s) {sorted(unknown)}")
    clean: dict[str, Any] = {}
    for key in _LIST_FILTERS:
        if key in filters:
            values = filters[key]
            if not isinstance(values, list) or not all(isinstance(v, str) and "\0" not in v for v in values):
                raise InvalidInput(f"filters.{key}: must be a list of strings (without NUL characters)")
            clean[key] = sorted({v.upper() for v in values})
    if "labels" in filters:
        labels = filters["labels"]
        if not isinstance(labels, dict):
            raise InvalidInput("filters.labels: must map observation names to lists of states")
        for obs, states in labels.items():
            if obs not in OBSERVATIONS:
                raise InvalidInput(f"filters.labels: unknown observation {obs!r}")
            if not isinstance(states, list) or not all(
                isinstance(x, str) and x in LABEL_VALUES for x in states
            ):
                raise InvalidInput(f"filters.labels.{obs}: states must be a list of {list(LABEL_VALUES)}")
        clean["labels"] = {obs: sorted(states) for obs, states in sorted(labels.items())}
    status = filters.get("reading_status", "any")
    if not isinstance(status, str) or status not in READING_STATUSES:
        raise InvalidInput(f"filters.reading_status: must be one of {list(READING_STATUSES)}")
    if status != "any":
        clean["reading_status"] = status
    if "has_gaze" in filters and filters["has_gaze"] is not None:
        if not isinstance(filters["has_gaze"], bool):
            raise InvalidInput("filters.has_gaze: must be true, false or null")
        clean["has_gaze"] = filters["has_gaze"]
    return clean


def latest_reader_report(*, study: Study) -> Report | None:
    """The study's most recently submitted reader report, or None."""
    return Report.objects.filter(session__assignment__study=study).order_by("-submitted_at", "-pk").first()


def study_labels(*, study: Study) -> dict[str, str]:
    """The study's current labels: curated ones, else the latest reader report's, else all not mentioned."""
    curated = StudyLabels.objects.filter(study=study).first()
    source = curated.labels if curated else {}
    if not source:
        report = latest_reader_report(study=study)
        source = report.labels if report else {}
    return {obs: source.get(obs, NOT_MENTIONED) for obs in OBSERVATIONS}


def study_report_text(*, study: Study) -> dict[str, str]:
    """The study's findings and impression: the curated report, else the latest reader report."""
    curated = StudyReport.objects.filter(study=study).first()
    if curated is not None:
        return {"findings": curated.findings, "impression": curated.impression}
    report = latest_reader_report(study=study)
    if report is not None:
        return {"findings": report.findings, "impression": report.impression}
    return {"findings": "", "impression": ""}


def image_gaze_analyses(*, image: Image) -> QuerySet[GazeAnalysis]:
    """Finished gaze analyses with a prior on this image, oldest first."""
    return GazeAnalysis.objects.filter(image=image, status="done").exclude(prior_file="").order_by("pk")


def cohort_filter_images(*, filters: dict[str, Any]) -> list[Image]:
    """The images matching cleaned cohort filters, ordered by id. Label filters apply per study."""
    filters = cohort_filters_clean(filters)
    qs = Image.objects.select_related("study__patient").order_by("pk")
    for key, field in _LIST_FILTERS.items():
        if key in filters:
            qs = qs.filter(**{f"{field}__in": filters[key]})
    read = Report.objects.filter(session__assignment__study=OuterRef("study"))
    if filters.get("reading_status") == "read":
        qs = qs.filter(Exists(read))
    elif filters.get("reading_status") == "unread":
        qs = qs.exclude(Exists(read))
    if "has_gaze" in filters:
        gaze = GazeChunk.objects.filter(session__assignment__study=OuterRef("study"))
        qs = qs.filter(Exists(gaze)) if filters["has_gaze"] else qs.exclude(Exists(gaze))
    images = list(qs)
    wanted = filters.get("labels")
    if wanted:
        cache: dict[int, dict[str, str]] = {}
        kept = []
        for image in images:
            if image.study_id not in cache:
                cache[image.study_id] = study_labels(study=image.study)
            if all(cache[image.study_id][obs] in states for obs, states in wanted.items()):
                kept.append(image)
        images = kept
    return images

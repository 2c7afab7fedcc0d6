"""What the curation app does after an image is imported: attach the layout's report and labels."""

from __future__ import annotations

from readingroom.curation.models import StudyLabels, StudyReport
from readingroom.studies.layouts import IngestItem
from readingroom.studies.models import Image


def imported_attach_report(*, item: IngestItem, image: Image) -> None:
    """Store ``report_text`` as the study's report (labelled by the rule-based labeler where the item has
    no ``labels``), and the item's ``labels`` (from the data set's own label file) as labeler labels."""
    from readingroom.curation.services import study_labels_set, study_report_set

    text = (item.metadata.get("report_text") or "").strip()
    labels = item.metadata.get("labels")
    study = image.study
    if text and not StudyReport.objects.filter(study=study).exists():
        study_report_set(study=study, text=text, label=not labels)
    if labels and not StudyLabels.objects.filter(study=study, source=StudyLabels.Source.CURATOR).exists():
        known = {k: v for k, v in labels.items() if v}
        study_labels_set(study=study, labels=known, source=StudyLabels.Source.LABELER)

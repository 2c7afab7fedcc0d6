"""The results panel of a submitted session: gaze analysis and the model's prediction, as one payload."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from readingroom.reading.models import ReadingSession, Report


def session_results(*, session: ReadingSession) -> dict[str, Any]:
    """Status of the session's analysis and prediction, with URLs of the heatmap and attention map."""
    analysis = GazeAnalysis.objects.filter(session=session).select_related("image").first()
    prediction = Prediction.objects.filter(session=session).first()
    if analysis is None:
        status = "pending" if session.status == ReadingSession.Status.SUBMITTED else "not_submitted"
        payload: dict[str, Any] = {"status": status, "error": None, "fixation_count": None,
                                   "sample_count": None, "heatmap": None}  # fmt: skip
    else:
        heatmap = None
        if analysis.heatmap_file and analysis.image is not None:
            heatmap = {
                "url": reverse("session-heatmap", args=[session.pk]),
                "width": analysis.image.columns,
                "height": analysis.image.rows,
            }
        payload = {
            "status": analysis.status,
            "error": analysis.error or None,
            "fixation_count": analysis.fixation_count,
            "sample_count": analysis.sample_count,
            "heatmap": heatmap,
        }
    if prediction is None:
        payload["prediction"] = {"status": "pending", "message": "", "probabilities": None, "findings": None,
                                 "attention_url": None, "agreement": None}  # fmt: skip
    else:
        payload["prediction"] = {
            "status": prediction.status,
            "message": prediction.message,
            "probabilities": prediction.probabilities,
            "findings": prediction.findings or None,
            "attention_url": (
                reverse("session-attention", args=[session.pk]) if prediction.attention_file else None
            ),
            "agreement": _agreement(session, prediction.probabilities),
        }
    return payload


def _agreement(session: ReadingSession, probabilities: dict[str, float] | None) -> dict[str, Any] | None:
    """Reader versus model on the observations the reader marked (uncertain counts as positive).

    The model calls an observation positive at probability 0.5 or more.
    """
    report = Report.objects.filter(session=session).first()
    if report is None or not probabilities:
        return None
    compared, disagree = 0, []
    for name, value in report.labels.items():
        if value == "not_mentioned" or name not in probabilities:
            continue
        compared += 1
        if (value in {"present", "uncertain"}) != (probabilities[name] >= 0.5):
            disagree.append(name)
    return {"compared": compared, "agree": compared - len(disagree), "disagreements": disagree}

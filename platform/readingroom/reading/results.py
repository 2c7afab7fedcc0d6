"""The results of a session: gaze analysis and the model's prediction, as one payload (also the WebSocket's
``results`` message, see :mod:`readingroom.reading.events`)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from readingroom.reading.arms import predictions_hidden_reason, predictions_visible, session_arm_mode
from readingroom.reading.models import OBSERVATIONS, ReadingSession, Report


def session_results(*, session: ReadingSession, masked: bool = True) -> dict[str, Any]:
    """Status of the session's analysis and prediction, with URLs of the heatmap and attention map.

    The prediction is masked (``status: "hidden"`` with the reason) where the session's arm does not show
    it to the reader now (see :mod:`readingroom.reading.arms`); ``masked=False`` is for a study lead.
    """
    payload = _analysis_payload(session)
    payload["arm_mode"] = session_arm_mode(session)
    payload["phase"] = session.phase
    payload["prediction"] = _prediction_payload(session, masked=masked)
    return {"type": "results", "session_id": session.pk, **payload}


def _analysis_payload(session: ReadingSession) -> dict[str, Any]:
    analysis = GazeAnalysis.objects.filter(session=session).select_related("image").first()
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
    return payload


def _prediction_payload(session: ReadingSession, *, masked: bool) -> dict[str, Any]:
    if masked and not predictions_visible(session):
        return {"status": "hidden", "message": predictions_hidden_reason(session), "probabilities": None,
                "findings": None, "attention_url": None, "agreement": None}  # fmt: skip
    prediction = Prediction.objects.filter(session=session).first()
    if prediction is None:
        return {"status": "pending", "message": "", "probabilities": None, "findings": None,
                "attention_url": None, "agreement": None}  # fmt: skip
    return {
        "status": prediction.status,
        "message": prediction.message,
        "probabilities": prediction.probabilities,
        "findings": prediction.findings or None,
        "attention_url": (
            reverse("session-attention", args=[session.pk]) if prediction.attention_file else None
        ),
        "agreement": _agreement(session, prediction.probabilities),
    }


def _agreement(session: ReadingSession, probabilities: dict[str, float] | None) -> dict[str, Any] | None:
    """Reader versus model on the observations the reader marked (uncertain counts as positive).

    The model calls an observation positive at probability 0.5 or more. ``observations`` has one row per
    observation in the model's order: the reader's value, the model's probability and call, and whether they
    agree (None where the reader did not mention it or the model has no probability for it).
    """
    report = Report.objects.filter(session=session).first()
    if report is None or not probabilities:
        return None
    compared, disagree, rows = 0, [], []
    for name in OBSERVATIONS:
        value = report.labels.get(name, "not_mentioned")
        probability = probabilities.get(name)
        model_positive = None if probability is None else probability >= 0.5
        agree = None
        if value != "not_mentioned" and probability is not None:
            compared += 1
            agree = (value in {"present", "uncertain"}) == model_positive
            if not agree:
                disagree.append(name)
        rows.append({"observation": name, "reader": value, "model_probability": probability,
                     "model_positive": model_positive, "agree": agree})  # fmt: skip
    return {"compared": compared, "agree": compared - len(disagree), "disagreements": disagree,
            "observations": rows}  # fmt: skip

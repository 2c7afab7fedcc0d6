"""Model registry and predictions shown beside the reader's own report."""

from __future__ import annotations

from django.db import transaction

from readingroom.gaze.services import session_image
from readingroom.modeling.models import ModelVersion, Prediction
from readingroom.reading.models import ReadingSession

NO_MODEL_MESSAGE = (
    "No model is registered. Train CoGaze and register a model version to see its findings, "
    "report draft and attention map here."
)


def active_model_version() -> ModelVersion | None:
    """The model version used for predictions, if any."""
    return ModelVersion.objects.filter(is_active=True).order_by("-created_at").first()


def prediction_queue(*, session: ReadingSession) -> Prediction:
    """Create the pending prediction and enqueue the worker task once the transaction commits."""
    from readingroom.modeling.tasks import predict_session

    prediction, _ = Prediction.objects.update_or_create(
        session=session, defaults={"status": Prediction.Status.PENDING, "message": ""}
    )
    transaction.on_commit(lambda: predict_session.delay(session.pk))
    return prediction


def prediction_run(*, session_id: int) -> Prediction | None:
    """Run the active model on the session's image; None if the session is gone.

    Without a registered model the prediction says so plainly (status ``no_model``).
    """
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    prediction, _ = Prediction.objects.get_or_create(session=session)
    prediction.image = session_image(session=session)
    model_version = active_model_version()
    if model_version is None:
        prediction.status = Prediction.Status.NO_MODEL
        prediction.message = NO_MODEL_MESSAGE
        prediction.model_version = None
        prediction.save()
        return prediction
    prediction.status = Prediction.Status.FAILED
    prediction.model_version = model_version
    prediction.message = f"model {model_version} cannot be run yet: the CoGaze runtime is not installed"
    prediction.save()
    return prediction

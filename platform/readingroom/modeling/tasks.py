"""Celery adapters of the modeling services (queue ``gpu``)."""

from __future__ import annotations

from celery import shared_task

from readingroom.modeling.services import prediction_run, training_run_execute


@shared_task(name="readingroom.modeling.predict_session", acks_late=True)
def predict_session(session_id: int) -> str:
    """Run the active model on a submitted session's image."""
    prediction = prediction_run(session_id=session_id)
    return "gone" if prediction is None else prediction.status


@shared_task(name="readingroom.modeling.train_model", acks_late=False)
def train_model(run_id: int) -> str:
    """Train CoGaze for a training run and register the model version it produces."""
    run = training_run_execute(run_id=run_id)
    return "gone" if run is None else run.status

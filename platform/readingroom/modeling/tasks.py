"""Celery adapters of the modeling services (queue ``gpu``)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from readingroom.modeling.registry import EVALUATE_TASK, evaluation_execute, evaluations_recover
from readingroom.modeling.services import prediction_run, training_run_execute


@shared_task(name="readingroom.modeling.predict_session", acks_late=True)
def predict_session(session_id: int) -> str:
    """Run the active model on a submitted session's image."""
    prediction = prediction_run(session_id=session_id)
    return "gone" if prediction is None else prediction.status


@shared_task(name="readingroom.modeling.train_model", acks_late=False)
def train_model(run_id: int) -> str:
    """Train (or resume) CoGaze for a training run and register the model version it produces."""
    run = training_run_execute(run_id=run_id)
    return "gone" if run is None else run.status


@shared_task(name="readingroom.modeling.resume_stale_training", acks_late=False)
def resume_stale_training() -> int:
    """Queue again the running runs whose worker stopped writing progress (beat schedule, worker start)."""
    from readingroom.modeling.training import training_runs_resume_stale

    return len(training_runs_resume_stale())


@worker_ready.connect(dispatch_uid="readingroom-modeling-resume-stale")
def _resume_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts resumes the runs a dead worker left (their heartbeat is stale)."""
    from readingroom.modeling.training import training_runs_resume_stale

    resumed = training_runs_resume_stale()
    logging.getLogger(__name__).info("training runs queued again to resume: %s", resumed or "none")


@shared_task(name=EVALUATE_TASK, acks_late=True)
def evaluate_and_promote(evaluation_id: int) -> str:
    """Evaluate a queued promotion's candidate on its held-out set and promote it if it won."""
    evaluation = evaluation_execute(evaluation_id=evaluation_id)
    if evaluation is None:
        return "gone"
    return f"{evaluation.status}{', promoted' if evaluation.promoted else ''}"


@shared_task(name="readingroom.modeling.recover_evaluations", acks_late=True)
def recover_evaluations() -> dict:
    """Queue again the evaluations a lost worker left queued or running (Celery beat, worker start)."""
    requeued, failed = evaluations_recover(
        stuck_after_s=settings.MODEL_EVALUATION_STUCK_AFTER_S, max_attempts=settings.READING_TASK_MAX_ATTEMPTS
    )
    return {"requeued": requeued, "failed": failed}


@shared_task(name="readingroom.modeling.run_inference", acks_late=True)
def run_inference(job_id: int) -> str:
    """Predict every image of an inference job, batch by batch."""
    from readingroom.modeling.inference import inference_job_execute

    job = inference_job_execute(job_id=job_id)
    return "gone" if job is None else job.status

"""Inference on demand: a model version over a cohort or a frozen dataset version, in batches, stored per
image (the 14 probabilities, the report draft, the attention map as a float32 array, the embedding)."""

from __future__ import annotations

from django.db import transaction

from readingroom.core.exceptions import InvalidInput
from readingroom.core.files import media_write
from readingroom.core.heatmap import npy_bytes
from readingroom.modeling.models import ImagePrediction, InferenceJob, ModelVersion
from readingroom.studies.models import Image


def inference_job_queue(*, model_version: ModelVersion, cohort=None, dataset_version=None, batch_size: int = 16,
                        user=None) -> InferenceJob:  # fmt: skip
    """Record an inference job over exactly one of a cohort or a dataset version; enqueue it on ``gpu``."""
    from readingroom.modeling.tasks import run_inference

    if (cohort is None) == (dataset_version is None):
        raise InvalidInput("give exactly one of cohort or dataset_version")
    if not 1 <= batch_size <= 1024:
        raise InvalidInput(f"batch_size must be between 1 and 1024, got {batch_size}")
    job = InferenceJob.objects.create(model_version=model_version, cohort=cohort, dataset_version=dataset_version,
                                      batch_size=batch_size, created_by=user)  # fmt: skip
    transaction.on_commit(lambda: run_inference.delay(job.pk))
    return job


def job_images(job: InferenceJob) -> list[Image]:
    if job.cohort is not None:
        from readingroom.curation.selectors import cohort_filter_images

        return cohort_filter_images(filters=job.cohort.filters)
    ids = [item["image_id"] for item in job.dataset_version.manifest.get("items", [])]
    return list(Image.objects.filter(pk__in=ids).select_related("study").order_by("pk"))


def image_prediction_store(*, image: Image, model_version: ModelVersion, job: InferenceJob | None = None):
    """Predict one image with a verified version and store the result (replacing an earlier one)."""
    from readingroom.modeling.services import image_predict

    output = image_predict(image=image, model_version=model_version)
    name = f"predictions/version-{model_version.pk}/image-{image.pk}-attention.npy"
    media_write(name, npy_bytes(output.attention))
    prediction, _ = ImagePrediction.objects.update_or_create(
        image=image, model_version=model_version,
        defaults={"probabilities": output.probabilities, "findings": output.findings, "attention_file": name,
                  "embedding": [float(v) for v in output.embedding], "job": job},
    )  # fmt: skip
    return prediction


def inference_job_execute(*, job_id: int) -> InferenceJob | None:
    """Run a queued job batch by batch (progress in ``done``); images already predicted by the version are
    skipped, so a job run again after a dead worker continues where it stopped."""
    from cogaze import CogazeError
    from readingroom.core.exceptions import NotFound
    from readingroom.modeling.registry import model_version_verify

    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (InferenceJob.Status.QUEUED, InferenceJob.Status.RUNNING):
            return job
        job.status = InferenceJob.Status.RUNNING
        job.save(update_fields=["status", "updated_at"])
    try:
        model_version_verify(model_version=job.model_version)
        images = job_images(job)
    except (InvalidInput, NotFound) as exc:
        job.status, job.error = InferenceJob.Status.FAILED, str(exc)
        job.save(update_fields=["status", "error", "updated_at"])
        return job
    have = set(
        ImagePrediction.objects.filter(model_version=job.model_version).values_list("image_id", flat=True)
    )
    job.total = len(images)
    for start in range(0, len(images), job.batch_size):
        for image in images[start : start + job.batch_size]:
            if image.pk in have:
                continue
            try:
                image_prediction_store(image=image, model_version=job.model_version, job=job)
            except (CogazeError, NotFound, OSError) as exc:
                job.failed[str(image.pk)] = str(exc)
        job.done = min(len(images), start + job.batch_size)
        job.save(update_fields=["total", "done", "failed", "updated_at"])
    job.status = InferenceJob.Status.DONE
    job.save(update_fields=["status", "updated_at"])
    return job

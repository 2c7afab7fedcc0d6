"""Inference on demand over a cohort or a dataset version, stored per image."""

from __future__ import annotations

import numpy as np
import pytest

from readingroom.core.exceptions import InvalidInput
from readingroom.curation.models import Cohort
from readingroom.modeling.inference import inference_job_execute, inference_job_queue
from readingroom.modeling.models import ImagePrediction, InferenceJob
from readingroom.modeling.services import model_version_register
from readingroom.reading.models import OBSERVATIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(tiny_checkpoints):
    return model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")


def test_a_cohort_is_predicted_in_batches_and_stored_per_image(version, image, settings):
    cohort = Cohort.objects.create(name="all", filters={})
    job = inference_job_queue(model_version=version, cohort=cohort, batch_size=1)
    job = inference_job_execute(job_id=job.pk)
    assert job.status == InferenceJob.Status.DONE and (job.total, job.done, job.failed) == (1, 1, {})
    prediction = ImagePrediction.objects.get(image=image, model_version=version)
    assert set(prediction.probabilities) == set(OBSERVATIONS)
    attention = np.load(settings.MEDIA_ROOT / prediction.attention_file)
    assert attention.dtype == np.float32 and attention.shape == (image.rows, image.columns)
    assert len(prediction.embedding) == 64 and np.linalg.norm(prediction.embedding) == pytest.approx(
        1.0, abs=1e-4
    )
    assert isinstance(prediction.findings, str)
    again = inference_job_execute(job_id=inference_job_queue(model_version=version, cohort=cohort).pk)
    assert again.status == "done" and ImagePrediction.objects.count() == 1  # already predicted: skipped


def test_a_changed_checkpoint_fails_the_job_with_the_reason(version, image, settings):
    (settings.MEDIA_ROOT / version.checkpoint).write_bytes(b"changed")
    job = inference_job_queue(model_version=version, cohort=Cohort.objects.create(name="c", filters={}))
    job = inference_job_execute(job_id=job.pk)
    assert job.status == InferenceJob.Status.FAILED and "SHA-256" in job.error
    assert not ImagePrediction.objects.exists()


def test_exactly_one_source_and_a_sane_batch_size(version):
    with pytest.raises(InvalidInput, match="exactly one of cohort or dataset_version"):
        inference_job_queue(model_version=version)
    with pytest.raises(InvalidInput, match="batch_size"):
        inference_job_queue(model_version=version, cohort=Cohort.objects.create(name="c"), batch_size=0)

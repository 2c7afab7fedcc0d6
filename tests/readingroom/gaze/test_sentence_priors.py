"""A submitted session with sentence time spans gets one gaze prior per sentence (fixations weighted by
their overlap with the sentence's span), stored beside the whole-report prior."""

from __future__ import annotations

import time

import numpy as np
import pytest

from readingroom.celery import app as celery_app
from readingroom.gaze.models import SentencePrior
from readingroom.gaze.prior_scale import prior_image_position
from readingroom.gaze.services import clock_sample_record, gaze_batch_store, view_event_store
from tests.readingroom.reading.conftest import REPORT, api_for, fixation_samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_per_sentence_priors_follow_the_fixations_in_each_span(reader, reading_session, image, settings, eager_tasks,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    settings.GAZE_SENTENCE_LEAD_MS = 0.0
    settings.GAZE_PRIOR_MAX_SIDE = 32  # priors of the 48 x 64 image are stored at 24 x 32 (factor 2)
    session_id = reading_session.pk
    # The page's clock reads 3000 ms now: the gaze and the sentences below lie in the last 3 s of the session.
    clock_sample_record(
        session_id=session_id, stream="page", t_client_ms=3000.0, t_server_ms=time.time() * 1000
    )
    # The 48x64 image is drawn 4x enlarged at screen (100, 100)-(292, 356).
    view_event_store(session_id=session_id, message={
        "stream": "page", "seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 48, 64],
        "screen_rect": [100, 100, 292, 356], "zoom": 4.0})  # fmt: skip
    # Fixation 1 on screen (140, 140) = image (10, 10) from about 40 to 640 ms; fixation 2 on (250, 300) =
    # image (37.5, 50) from about 680 to 1280 ms.
    t, x, y = fixation_samples([(140.0, 140.0), (250.0, 300.0)], dwell_ms=600.0)
    gaze_batch_store(session_id=session_id, message={
        "stream": "page", "seq": 0, "device": "test", "samples": {"t": t.tolist(), "x": x.tolist(), "y": y.tolist()}})  # fmt: skip
    sentences = [{"text": "Heart size normal.", "start_ms": 100, "end_ms": 600},
                 {"text": "Lungs clear.", "start_ms": 750, "end_ms": 1250},
                 {"text": "Normal chest.", "start_ms": 1350, "end_ms": 1500}]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(reader).post(f"/api/sessions/{session_id}/report/",
                                        {**REPORT, "sentences": sentences, "sentence_stream": "page"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert reading_session.gaze_analysis.status == "done"
    heart, lungs, impression = SentencePrior.objects.filter(session_id=session_id).order_by("index")
    assert (heart.text, heart.source, heart.version) == ("Heart size normal.", "typing", 1)
    assert impression.prior_file == ""  # nothing was looked at while it was typed
    for row, (col, line) in ((heart, (10, 10)), (lungs, (37, 50))):
        prior = np.load(settings.MEDIA_ROOT / row.prior_file)
        assert row.prior_downsample == 2
        assert prior.shape == (32, 24) and prior.sum() == pytest.approx(1.0, abs=1e-5)
        peak_line, peak_col = prior_image_position(*np.unravel_index(np.argmax(prior), prior.shape), 2)
        assert abs(peak_line - line) <= 2 and abs(peak_col - col) <= 2, (row.text, peak_line, peak_col)

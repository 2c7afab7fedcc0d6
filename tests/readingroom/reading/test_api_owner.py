"""A reader's session results, heatmap and attention map are theirs alone."""

from __future__ import annotations

import numpy as np
import pytest
from rest_framework.test import APIClient

from readingroom.core.files import media_write
from readingroom.core.heatmap import heatmap_png
from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from readingroom.reading.models import ReadingSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_session(reading_session, image):
    """A submitted session whose heatmap and attention map are computed and on disk."""
    png = heatmap_png(np.arange(12, dtype=np.float64).reshape(3, 4))
    media_write("heatmaps/h.png", png)
    media_write("attention/a.png", png)
    reading_session.status = ReadingSession.Status.SUBMITTED
    reading_session.save()
    GazeAnalysis.objects.create(session=reading_session, status="done", image=image, fixation_count=3,
                                heatmap_file="heatmaps/h.png")  # fmt: skip
    Prediction.objects.create(session=reading_session, image=image, status="done",
                              probabilities={"Cardiomegaly": 0.9}, attention_file="attention/a.png")  # fmt: skip
    return reading_session


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_owner_gets_results_heatmap_and_attention(finished_session, reader):
    client = _client(reader)
    results = client.get(f"/api/sessions/{finished_session.pk}/results/")
    assert results.status_code == 200 and results.json()["heatmap"]["url"]
    for suffix in ("heatmap.png", "attention.png"):
        response = client.get(f"/api/sessions/{finished_session.pk}/{suffix}")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("suffix", ["results/", "heatmap.png", "attention.png", "report/"])
def test_another_reader_gets_nothing_of_the_session(finished_session, other_reader, suffix):
    client = _client(other_reader)
    url = f"/api/sessions/{finished_session.pk}/{suffix}"
    response = client.post(url, {}, format="json") if suffix == "report/" else client.get(url)
    assert response.status_code in {403, 404}
    assert b"PNG" not in b"".join(getattr(response, "streaming_content", [response.content]))
    assert "another reader" in response.json()["detail"]

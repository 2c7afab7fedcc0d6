"""The reading API: worklist, starting a session, submitting a report, and the results panel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from rest_framework.test import APIClient

from readingroom.celery import app as celery_app
from readingroom.gaze.services import gaze_batch_store, view_event_store
from readingroom.modeling.services import NO_MODEL_MESSAGE
from readingroom.reading.models import OBSERVATIONS, Assignment, ReadingSession
from tests.readingroom.reading.conftest import fixation_samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(reader) -> APIClient:
    client = APIClient()
    client.force_authenticate(reader)
    return client


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _read(response) -> bytes:
    """The body of a file response. Consuming it closes the file (the test client's wrapper)."""
    return b"".join(response.streaming_content)


def labels(**present) -> dict[str, str]:
    values = dict.fromkeys(OBSERVATIONS, "not_mentioned")
    values.update({name.replace("_", " "): value for name, value in present.items()})
    return values


def test_login_flow_and_worklist(reader, assignment):
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/auth/csrf/")
    token = client.cookies["csrftoken"].value
    bad = client.post("/api/auth/login/", {"username": "reader", "password": "nope"}, HTTP_X_CSRFTOKEN=token)
    assert bad.status_code == 400 and bad.json()["detail"] == "wrong username or password"
    ok = client.post("/api/auth/login/", {"username": "reader", "password": "reader-pass-123"},
                     HTTP_X_CSRFTOKEN=token, format="json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["roles"] == ["reader"]
    worklist = client.get("/api/worklist/").json()
    assert [item["id"] for item in worklist] == [assignment.pk]
    assert worklist[0]["study"]["indication"] == "Cough."
    assert worklist[0]["status"] == "pending"


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/worklist/").status_code == 403


def test_start_opens_one_session_and_resumes_it(api, assignment):
    first = api.post(f"/api/assignments/{assignment.pk}/start/", {}, format="json").json()
    second = api.post(f"/api/assignments/{assignment.pk}/start/", {}, format="json").json()
    assert first["session_id"] == second["session_id"]
    assert first["ws_path"] == f"/ws/gaze/{first['session_id']}/"
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS


def test_other_readers_cannot_start_or_see_images(assignment, other_reader, image):
    client = APIClient()
    client.force_authenticate(other_reader)
    response = client.post(f"/api/assignments/{assignment.pk}/start/", {}, format="json")
    assert response.status_code == 403 and "another reader" in response.json()["detail"]
    assert client.get(f"/api/images/{image.pk}/").status_code == 403


def test_image_metadata_and_pixels(api, assignment, image):
    meta = api.get(f"/api/images/{image.pk}/").json()
    assert (meta["rows"], meta["columns"]) == (64, 48)
    assert meta["photometric_interpretation"] == "MONOCHROME2"
    pixels = api.get(meta["pixels_url"])
    raw = _read(pixels)
    assert len(raw) == 64 * 48 * 2
    display = api.get(meta["display_url"])
    _read(display)
    assert display["Content-Type"] == "image/png"


def test_report_validation_names_the_field(api, reading_session):
    url = f"/api/sessions/{reading_session.pk}/report/"
    response = api.post(url, {"findings": "Clear.", "labels": {"Cardiomegaly": "maybe"}}, format="json")
    assert response.status_code == 400
    assert "labels['Cardiomegaly'] must be one of" in response.json()["detail"]
    response = api.post(url, {"findings": "x", "labels": {"Heart": "present"}}, format="json")
    assert "unknown observation(s) Heart" in response.json()["detail"]
    response = api.post(url, {"findings": " ", "impression": "", "labels": {}}, format="json")
    assert "must not be empty" in response.json()["detail"]
    reading_session.refresh_from_db()
    assert reading_session.status == ReadingSession.Status.OPEN


def test_submit_runs_gaze_analysis_and_prediction(api, reading_session, image, eager_tasks, settings,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    settings.GAZE_PRIOR_MAX_SIDE = 16  # priors of the 48 x 64 image are stored at 12 x 16 (factor 4)
    # The 48x64 image is drawn 4x enlarged at screen (100, 100)-(292, 356).
    view = {"seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 48, 64],
            "screen_rect": [100, 100, 292, 356], "zoom": 4.0}  # fmt: skip
    view_event_store(session_id=reading_session.pk, message=view)
    points = [(140.0, 140.0), (250.0, 300.0), (140.0, 140.0), (2000.0, 900.0)]  # the last is off the image
    t, x, y = fixation_samples(points)
    for seq, chunk in enumerate(np.array_split(np.arange(t.size), 5)):
        message = {"seq": seq, "device": "test",
                   "samples": {"t": t[chunk].tolist(), "x": x[chunk].tolist(), "y": y[chunk].tolist()}}  # fmt: skip
        gaze_batch_store(session_id=reading_session.pk, message=message)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/sessions/{reading_session.pk}/report/",
                            {"findings": "Heart size normal.", "impression": "Normal.", "labels": labels(No_Finding="present")},
                            format="json")  # fmt: skip
    assert response.status_code == 201
    results = api.get(f"/api/sessions/{reading_session.pk}/results/").json()
    assert results["status"] == "done", results
    assert results["fixation_count"] == 4
    assert results["heatmap"] == {
        "url": f"/api/sessions/{reading_session.pk}/heatmap.png",
        "width": 48,
        "height": 64,
    }
    assert results["prediction"]["status"] == "no_model"
    assert results["prediction"]["message"] == NO_MODEL_MESSAGE

    analysis = reading_session.gaze_analysis
    prior = np.load(settings.MEDIA_ROOT / analysis.prior_file)
    assert analysis.prior_downsample == 4
    assert prior.shape == (16, 12) and prior.dtype == np.float32
    assert prior.sum() == pytest.approx(1.0, abs=1e-5)
    # Screen (140, 140) is image (10, 10), stored pixel (2, 2); it held two of the three on-image fixations.
    # Image (50, 37) is stored (12, 9), image (60, 5) stored (15, 1).
    assert np.unravel_index(int(prior.argmax()), prior.shape) == (2, 2)
    assert prior[2, 2] > prior[12, 9] > prior[15, 1]
    # the display heatmap is the stored prior's size; the overlay stretches it over the image's 48 x 64
    heat = PILImage.open(io.BytesIO((settings.MEDIA_ROOT / analysis.heatmap_file).read_bytes()))
    assert heat.size == (12, 16) and heat.convert("RGBA").getextrema()[3] == (0, 200)
    fixations = list(reading_session.fixations.order_by("index"))
    assert fixations[0].x_image == pytest.approx(10.0, abs=0.5)
    assert fixations[3].x_image is None  # off the image
    heatmap = api.get(results["heatmap"]["url"])
    _read(heatmap)
    assert heatmap["Content-Type"] == "image/png"
    again = api.post(
        f"/api/sessions/{reading_session.pk}/report/", {"findings": "x", "labels": {}}, format="json"
    )
    assert again.status_code == 409

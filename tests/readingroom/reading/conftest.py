"""Shared set-up of the reading tests: leads, readers, a frozen dataset version, HTTP clients; Celery tasks
run in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from rest_framework.test import APIClient

from readingroom.celery import app as celery_app
from readingroom.core.services import user_create
from readingroom.reading.models import OBSERVATIONS
from tests.readingroom.conftest import write_dicom


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def labels(**values: str) -> dict[str, str]:
    out = dict.fromkeys(OBSERVATIONS, "not_mentioned")
    out.update({name.replace("_", " "): value for name, value in values.items()})
    return out


REPORT = {"findings": "Heart size normal. Lungs clear.", "impression": "Normal chest.",
          "labels": labels(No_Finding="present")}  # fmt: skip


@pytest.fixture
def lead(db):
    return user_create(username="studylead", password="lead-pass-123", roles=["lead"])


@pytest.fixture
def readers(db):
    return [user_create(username=f"r{i}", password=f"r{i}-pass-123", roles=["reader"]) for i in (1, 2)]


@pytest.fixture
def cases(db, tmp_path):
    """Three imported studies (one image each)."""
    from readingroom.studies.services import image_import_dicom

    images = []
    for i in range(3):
        path = write_dicom(tmp_path / f"case{i}.dcm", seed=i, PatientID=f"P{i}")
        images.append(image_import_dicom(path=path, indication="Cough.", history="None.").image)
    return images


@pytest.fixture
def frozen_version(cases, lead):
    from readingroom.curation.services import dataset_create, dataset_version_freeze

    dataset = dataset_create(name="Reader study cases")
    return dataset_version_freeze(dataset=dataset, seed=1, user=lead)


def create_study(lead, readers, *, version=None, arms=None, **extra) -> dict:
    body = {
        "name": extra.pop("name", "Two-arm study"),
        "arms": arms or [{"name": "Unaided", "mode": "unaided"}, {"name": "With AI", "mode": "ai_assisted"}],
        "reader_ids": [r.pk for r in readers],
        "seed": 12345,
        **extra,
    }
    if version is not None:
        body["dataset_version_id"] = version.pk
    response = api_for(lead).post("/api/reader-studies/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def start_study(lead, study_id: int) -> dict:
    response = api_for(lead).post(f"/api/reader-studies/{study_id}/start/")
    assert response.status_code == 200, response.json()
    return response.json()


def worklist(user, project_id: int) -> list[dict]:
    return [a for a in api_for(user).get("/api/worklist/").json() if a["project_id"] == project_id]


def fixation_samples(points, *, rate_hz=250.0, dwell_ms=300.0, seed=0):
    """Screen samples dwelling ``dwell_ms`` on each point with 0.3 px noise, 40 ms saccades between."""
    rng = np.random.default_rng(seed)
    dt = 1000.0 / rate_hz
    t, x, y = [], [], []
    now = 0.0
    previous = points[0]
    for px, py in points:
        for k in range(int(40 / dt)):  # saccade: linear sweep from the previous point
            a = (k + 1) / int(40 / dt)
            (
                t.append(now),
                x.append(previous[0] + a * (px - previous[0])),
                y.append(previous[1] + a * (py - previous[1])),
            )
            now += dt
        for _ in range(int(dwell_ms / dt)):
            t.append(now), x.append(px + rng.normal(0, 0.3)), y.append(py + rng.normal(0, 0.3))
            now += dt
        previous = (px, py)
    return np.array(t), np.array(x), np.array(y)


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Tasks published in the block run here, at once (as a worker would run them)."""
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False

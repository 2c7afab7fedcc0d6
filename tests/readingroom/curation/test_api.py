"""The curation and import API: roles, imports restricted to allowed folders, cohorts to exports, schema."""

from __future__ import annotations

import pytest
import yaml
from rest_framework.test import APIClient

from readingroom.core.services import user_create
from readingroom.studies.models import ImportJob
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(db):
    return user_create(username="curator", password="curator-pass-123", roles=["curator"])


@pytest.fixture
def api(curator) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_readers_may_not_curate(reader):
    client = APIClient()
    client.force_authenticate(reader)
    assert client.get("/api/cohorts/").status_code == 403
    assert client.post("/api/imports/", {"sources": ["/"]}, format="json").status_code == 403


def test_import_through_the_api_within_allowed_roots(
    api, tmp_path, settings, django_capture_on_commit_callbacks
):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    write_dicom(incoming / "a.dcm", seed=1)
    settings.INGEST_ALLOWED_ROOTS = [str(incoming)]
    outside = api.post("/api/imports/", {"sources": [str(tmp_path)]}, format="json")
    assert outside.status_code == 400 and "outside the folders" in outside.json()["detail"]
    sneaky = api.post("/api/imports/", {"sources": [str(incoming / ".." / "x")]}, format="json")
    assert sneaky.status_code == 400
    from readingroom.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post("/api/imports/", {"sources": [str(incoming)]}, format="json")
    finally:
        app.conf.task_always_eager = False
    assert created.status_code == 201
    job = api.get(f"/api/imports/{created.json()['id']}/").json()
    assert job["status"] == "done" and job["imported"] == 1 and job["progress"] == 1.0
    assert ImportJob.objects.get().created_by.username == "curator"


def test_cohort_dataset_freeze_labels_and_export(
    api, image, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_ROOT = tmp_path / "exports"
    cohort = api.post("/api/cohorts/", {"name": "PA", "filters": {"view_positions": ["PA"]}}, format="json")
    assert cohort.status_code == 201
    assert api.get(f"/api/cohorts/{cohort.json()['id']}/images/").json() == {
        "count": 1,
        "image_ids": [image.pk],
    }
    bad = api.post("/api/cohorts/", {"name": "x", "filters": {"sexes": "F"}}, format="json")
    assert bad.status_code == 400 and "filters.sexes" in bad.json()["filters"][0]
    report = api.put(
        f"/api/studies/{image.study_id}/report/", {"text": "FINDINGS: Cardiomegaly."}, format="json"
    )
    assert report.json()["labels"]["Cardiomegaly"] == "present"
    edited = api.patch(f"/api/studies/{image.study_id}/labels/",
                       {"labels": {"Cardiomegaly": "uncertain"}, "reason": "borderline"}, format="json")  # fmt: skip
    assert edited.json()["labels"]["Cardiomegaly"] == "uncertain"
    assert [h["source"] for h in edited.json()["history"]][-1] == "curator"
    dataset = api.post("/api/datasets/", {"name": "d", "cohort": cohort.json()["id"]}, format="json").json()
    version = api.post(f"/api/datasets/{dataset['id']}/versions/", {"seed": 3}, format="json")
    assert version.status_code == 201 and version.json()["item_count"] == 1
    assert version.json()["manifest"]["items"][0]["labels"]["Cardiomegaly"] == "uncertain"
    from readingroom.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            queued = api.post(f"/api/dataset-versions/{version.json()['id']}/exports/", {"format": "cogaze"},
                              format="json")  # fmt: skip
    finally:
        app.conf.task_always_eager = False
    assert queued.status_code == 202
    from pathlib import Path

    assert (Path(queued.json()["folder"]) / "manifest.json").is_file()


def test_openapi_schema_documents_the_curation_api(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    for path in ("/api/imports/", "/api/cohorts/", "/api/datasets/{dataset_id}/versions/",
                 "/api/dataset-versions/{version_id}/exports/", "/api/studies/{study_id}/labels/",
                 "/api/dicomweb/studies"):  # fmt: skip
        assert path in schema["paths"], path
    assert "ImportJobOutput" in schema["components"]["schemas"]

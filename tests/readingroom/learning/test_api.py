"""The learning API: roles, the registry per project, training runs with their loss, rounds, the curve and
CSV/JSON downloads."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from readingroom.core.services import user_create
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.modeling.models import ModelEvaluation, TrainingRun
from readingroom.modeling.services import model_version_register
from readingroom.modeling.tasks import evaluate_and_promote
from readingroom.reading.models import ReadingProject

pytestmark = pytest.mark.django_db


def _client(username: str, roles: list[str]) -> APIClient:
    client = APIClient()
    client.force_authenticate(user_create(username=username, password=f"{username}-pass-123", roles=roles))
    return client


@pytest.fixture
def lead() -> APIClient:
    return _client("lead", ["lead"])


@pytest.fixture
def engineer() -> APIClient:
    return _client("engineer", ["engineer"])


@pytest.fixture
def project() -> ReadingProject:
    return ReadingProject.objects.create(name="P")


def test_readers_see_nothing_and_leads_cannot_train(reader, lead):
    client = APIClient()
    client.force_authenticate(reader)
    for url in (
        "/api/model-versions/",
        "/api/model-evaluations/",
        "/api/training-runs/",
        "/api/learning/loops/",
    ):
        assert client.get(url).status_code == 403, url
    assert lead.get("/api/training-runs/").status_code == 200
    assert lead.post("/api/training-runs/", {"name": "x"}, format="json").status_code == 403


def test_promote_through_the_api_then_rollback_is_refused(
    engineer, lead, project, tiny_checkpoints, django_capture_on_commit_callbacks
):
    version = model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="m", version="1", activate=False
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = engineer.post(f"/api/projects/{project.pk}/model/promote/",
                                 {"candidate": version.pk, "heldout_phantoms": 8}, format="json")  # fmt: skip
    assert response.status_code == 202, response.content
    queued = response.json()
    assert len(callbacks) == 1  # the task, enqueued once the request's transaction commits
    assert queued["status"] == "queued" and queued["heldout_spec"] == "phantoms:8:seed=1"
    assert queued["candidate_value"] is None and queued["baseline"] is None and not queued["beats"]
    assert not queued["promoted"] and queued["error"] == ""
    assert lead.get(f"/api/projects/{project.pk}/model/").json()["own"] is False  # nothing promoted yet
    evaluate_and_promote(queued["id"])  # what the worker runs
    done = lead.get(f"/api/model-evaluations/{queued['id']}/").json()
    assert done["status"] == "done" and done["promoted"] and done["candidate_value"] is not None
    assert lead.get("/api/model-evaluations/999999/").status_code == 404
    state = lead.get(f"/api/projects/{project.pk}/model/").json()
    assert state["own"] and state["current"]["id"] == version.pk and state["changes"][0]["kind"] == "promote"
    assert lead.post(f"/api/projects/{project.pk}/model/rollback/").status_code == 403
    refused = engineer.post(f"/api/projects/{project.pk}/model/rollback/")
    assert refused.status_code == 409 and "no previous version" in refused.json()["detail"]
    csv = lead.get("/api/model-evaluations/", {"project": project.pk, "download": "csv"})
    assert csv["Content-Disposition"] == 'attachment; filename="evaluations.csv"'
    header, row = csv.content.decode().splitlines()
    assert header.startswith("id,project,candidate,baseline") and row.split(",")[2] == str(version.pk)
    versions = lead.get("/api/model-versions/", {"download": "json"})
    assert json.loads(versions.content)[0]["checkpoint_sha256"] == version.checkpoint_sha256
    assert lead.get("/api/model-versions/", {"download": "xls"}).status_code == 400


def test_promote_refuses_bad_input_at_once_and_a_failed_evaluation_says_why(
    engineer, project, tiny_checkpoints, settings, django_capture_on_commit_callbacks
):
    version = model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="m", version="1", activate=False
    )
    url = f"/api/projects/{project.pk}/model/promote/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bad_metric = engineer.post(url, {"candidate": version.pk, "heldout_phantoms": 8, "metric": "accuracy"},
                                   format="json")  # fmt: skip
        no_heldout = engineer.post(url, {"candidate": version.pk}, format="json")
        no_model = engineer.post(url, {"candidate": 999999, "heldout_phantoms": 8}, format="json")
    assert bad_metric.status_code == 400 and "metric must be one of" in bad_metric.json()["detail"]
    assert no_heldout.status_code == 400 and "number of phantoms" in no_heldout.json()["detail"]
    assert no_model.status_code == 404
    assert not callbacks and not ModelEvaluation.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        queued = engineer.post(url, {"candidate": version.pk, "heldout_phantoms": 8}, format="json").json()
    (settings.MEDIA_ROOT / version.checkpoint).unlink()  # the checkpoint vanished before the worker ran
    evaluate_and_promote(queued["id"])
    failed = engineer.get(f"/api/model-evaluations/{queued['id']}/").json()
    assert failed["status"] == "failed" and "checkpoint" in failed["error"] and not failed["promoted"]


def test_training_run_queue_loss_download_and_cancel(engineer, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = engineer.post("/api/training-runs/", {"name": "r", "data_spec": "phantoms:8", "max_steps": 2},
                                 format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "queued" and len(callbacks) == 1
    run = TrainingRun.objects.get()
    TrainingRun.objects.filter(pk=run.pk).update(
        progress=[{"step": 1, "loss": 2.5}, {"step": 2, "loss": 2.0}]
    )
    assert lead.get(f"/api/training-runs/{run.pk}/").json()["progress"][1] == {"step": 2, "loss": 2.0}
    csv = lead.get(f"/api/training-runs/{run.pk}/loss/", {"download": "csv"}).content.decode()
    assert csv == "step,loss\n1,2.5\n2,2.0\n"
    runs = lead.get("/api/training-runs/", {"download": "csv"}).content.decode().splitlines()
    assert runs[0].startswith("id,name,status,config_name") and runs[1].startswith(f"{run.pk},r,queued,tiny")
    cancelled = engineer.post(f"/api/training-runs/{run.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert engineer.post(f"/api/training-runs/{run.pk}/cancel/").status_code == 409
    assert engineer.get("/api/training-runs/999/").status_code == 404


def test_rounds_curve_and_start_refused_while_open(lead, project, reader, image, tiny_checkpoints):
    loop = LearningLoop.objects.create(project=project, strategy="random", per_round=1, heldout_phantoms=8)
    loop.pool.set([image])
    loop.readers.set([reader])
    evaluation = ModelEvaluation.objects.create(project=project, candidate=model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="m", version="1"), heldout_spec="phantoms:8:seed=1", metric="head_macro_auroc",
        margin=0.0, candidate_value=0.61, beats=True, promoted=True, status="done")  # fmt: skip
    LearningRound.objects.create(loop=loop, number=1, strategy="random", status="done", reads_at_end=4,
                                 heldout_value=0.61, evaluation=evaluation,
                                 selected=[{"study": 1, "image": 1, "score": None}])  # fmt: skip
    curve = lead.get(f"/api/learning/loops/{loop.pk}/curve/").json()
    assert curve["points"] == [{"round": 1, "reads": 4, "heldout_value": 0.61, "metric": "head_macro_auroc",
                                "promoted": True, "model_version": None}]  # fmt: skip
    csv = lead.get(f"/api/learning/loops/{loop.pk}/curve/", {"download": "csv"}).content.decode()
    assert csv.splitlines()[1] == "1,4,0.61,head_macro_auroc,True,"
    started = lead.post(f"/api/learning/loops/{loop.pk}/rounds/")
    assert started.status_code == 201 and started.json()["selected"][0]["study"] == image.study_id
    again = lead.post(f"/api/learning/loops/{loop.pk}/rounds/")
    assert again.status_code == 409 and "still open" in again.json()["detail"]
    rounds = lead.get(f"/api/learning/loops/{loop.pk}/rounds/").json()
    assert [r["number"] for r in rounds] == [1, 2] and rounds[1]["status"] == "reading"


def test_the_schema_lists_the_learning_endpoints(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "openapi.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out)
    )
    paths = json.loads(out.read_text())["paths"]
    for path in ("/api/model-versions/", "/api/projects/{project_id}/model/promote/",
                 "/api/model-evaluations/{evaluation_id}/",
                 "/api/training-runs/{run_id}/loss/", "/api/learning/loops/{loop_id}/curve/"):  # fmt: skip
        assert path in paths, path


def test_inference_job_through_the_api(
    engineer, lead, image, tiny_checkpoints, django_capture_on_commit_callbacks
):
    import io

    import numpy as np

    from readingroom.curation.models import Cohort
    from readingroom.modeling.inference import inference_job_execute

    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    cohort = Cohort.objects.create(name="all", filters={})
    assert (
        lead.post("/api/inference-jobs/", {"model_version": version.pk, "cohort": cohort.pk}).status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=False):
        response = engineer.post("/api/inference-jobs/", {"model_version": version.pk, "cohort": cohort.pk},
                                 format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "queued"
    job_id = response.json()["id"]
    inference_job_execute(job_id=job_id)
    assert lead.get(f"/api/inference-jobs/{job_id}/").json()["done"] == 1
    prediction = lead.get(f"/api/inference-jobs/{job_id}/predictions/").json()[0]
    assert prediction["image"] == image.pk and len(prediction["probabilities"]) == 14
    attention = lead.get(prediction["attention_url"])
    array = np.load(io.BytesIO(b"".join(attention.streaming_content)))
    assert array.shape == (image.rows, image.columns) and array.dtype == np.float32
    refused = engineer.post("/api/inference-jobs/", {"model_version": version.pk}, format="json")
    assert (
        refused.status_code == 400 and "exactly one of cohort or dataset_version" in refused.json()["detail"]
    )

"""An active-learning round finished by a real worker: the reads are submitted here, each report ticks the
loop on the worker (queue gpu), which retrains, evaluates on held-out phantoms and promotes. A promotion asked
through the API is evaluated and promoted by the worker while the client polls the evaluation."""

from __future__ import annotations

import time

import pytest

from readingroom.core.services import user_create
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.learning.platform_run import phantoms_import, simulated_read
from readingroom.learning.services import round_start
from readingroom.learning.simulation import SimulationSettings, phantom_pool
from readingroom.modeling.registry import project_model_version
from readingroom.reading.models import ReadingProject
from tests.e2e.http import Browserless
from tests.e2e.learning import round_wait
from tests.readingroom.modeling.conftest import tiny_checkpoints  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def test_reads_trigger_retraining_and_promotion_on_the_worker(live_stack):
    pool = phantom_pool(SimulationSettings(pool=6, heldout=6))[0]
    reader = user_create(username="al-reader", password="al-reader-pass", roles=["reader"])
    loop = LearningLoop.objects.create(project=ReadingProject.objects.create(name="AL e2e"), strategy="random",
                                       per_round=2, heldout_phantoms=6, train_steps=2, plateau_rounds=0)  # fmt: skip
    images = phantoms_import(pool)
    loop.pool.set(images)
    loop.readers.set([reader])
    rnd = round_start(loop=loop)
    simulated_read(
        rnd=rnd, reader=reader, samples_by_image={i.pk: s for i, s in zip(images, pool, strict=True)}
    )
    round_wait(rnd)
    assert rnd.status == LearningRound.Status.DONE, (rnd.status, rnd.error)
    assert rnd.reads_at_end == 2 and rnd.evaluation.promoted
    assert project_model_version(loop.project) == rnd.model_after


def test_a_promotion_asked_through_the_api_is_run_by_the_worker(live_stack, tiny_checkpoints):  # noqa: F811
    from readingroom.modeling.services import model_version_register

    user_create(username="al-engineer", password="al-engineer-pass", roles=["engineer"])
    project = ReadingProject.objects.create(name="AL promote e2e")
    version = model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="e2e", version="1", activate=False
    )
    client = Browserless(live_stack.url)
    client.login("al-engineer", "al-engineer-pass")
    status, queued = client.request("POST", f"/api/projects/{project.pk}/model/promote/",
                                    {"candidate": version.pk, "heldout_phantoms": 6})  # fmt: skip
    assert status == 202 and queued["status"] in ("queued", "running", "done"), queued
    deadline, evaluation = time.monotonic() + 120, queued
    while time.monotonic() < deadline and evaluation["status"] in ("queued", "running"):
        time.sleep(0.3)
        evaluation = client.request("GET", f"/api/model-evaluations/{queued['id']}/")[1]
    assert evaluation["status"] == "done" and evaluation["promoted"], evaluation
    assert project_model_version(project) == version

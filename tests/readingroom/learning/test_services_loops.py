"""Creating and changing a learning loop: the pool from study ids, a cohort or a frozen dataset version, the
readers, the held-out set, and a refusal naming the field for every bad value."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.core.models import AuditEvent
from readingroom.core.services import user_create
from readingroom.curation.services import cohort_create, dataset_create, dataset_version_freeze
from readingroom.learning.models import LearningLoop
from readingroom.learning.platform_run import phantoms_import
from readingroom.learning.services import loop_create, loop_update
from readingroom.learning.simulation import SimulationSettings, phantom_pool
from readingroom.reading.models import ReadingProject

pytestmark = pytest.mark.django_db


@pytest.fixture
def images() -> list:
    """Four SYNTHETIC phantom studies, one image each."""
    return phantoms_import(phantom_pool(SimulationSettings(pool=4, heldout=2))[0])


@pytest.fixture
def project() -> ReadingProject:
    return ReadingProject.objects.create(name="Loop project")


def _create(project, images, reader, **changes) -> LearningLoop:
    values = {"project_id": project.pk, "reader_ids": [reader.pk], "pool_studies": [i.study_id for i in images],
              "scoring": "entropy", "heldout_phantoms": 6}  # fmt: skip
    return loop_create(**{**values, **changes})


def test_a_loop_gets_its_pool_readers_settings_and_an_audit_event(project, images, reader, other_reader):
    loop = _create(project, images, reader, reader_ids=[reader.pk, other_reader.pk], strategy="diverse",
                   per_round=3, retrain_every=5, plateau_rounds=2, plateau_delta=0.01)  # fmt: skip
    assert set(loop.pool.values_list("pk", flat=True)) == {i.pk for i in images}
    assert list(loop.readers.order_by("pk")) == [reader, other_reader]
    assert (loop.scoring, loop.strategy, loop.per_round, loop.heldout_phantoms, loop.heldout_version) == (
        "entropy", "diverse", 3, 6, None)  # fmt: skip
    assert (loop.retrain_every, loop.plateau_rounds, loop.plateau_delta) == (5, 2, 0.01)
    assert AuditEvent.objects.filter(action="learning.loop.create", target=f"loop:{loop.pk}").exists()


def test_the_pool_takes_one_image_per_study_from_a_cohort(project, images, reader, image):
    cohort = cohort_create(name="all")  # matches the phantoms and the DICOM fixture's image
    loop = _create(project, images, reader, pool_studies=None, pool_cohort=cohort.pk)
    assert loop.pool.count() == len(images) + 1
    assert len(set(loop.pool.values_list("study_id", flat=True))) == loop.pool.count()


def test_a_held_out_version_must_not_share_studies_with_the_pool(project, images, reader):
    version = dataset_version_freeze(dataset=dataset_create(name="held-out"), seed=0)
    with pytest.raises(InvalidInput, match=r"heldout_version: 4 pool studies are also in the held-out set"):
        _create(project, images, reader, heldout_phantoms=0, heldout_version=version.pk)
    train = [i.image_id for i in version.items.filter(split="train")]
    loop = _create(
        project, images, reader, pool_studies=None, pool_dataset_version=version.pk, pool_split="train"
    )
    assert sorted(loop.pool.values_list("pk", flat=True)) == sorted(train)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scoring": "astrology"}, r"scoring: unknown method 'astrology'; known: .*entropy"),
        ({"strategy": "best"}, r"strategy: unknown strategy 'best'; known: diverse, random, top_k"),
        ({"config_name": "../../etc/passwd"}, r"config_name: unknown preset"),
        ({"reader_ids": []}, r"reader_ids: a learning loop needs at least one reader"),
        (
            {"pool_studies": None},
            r"pool: give exactly one of pool_studies, pool_cohort or pool_dataset_version",
        ),
        ({"pool_cohort": 1}, r"pool: give exactly one of"),
        ({"pool_studies": [987654]}, r"pool_studies: no study with an image for id 987654"),
        ({"pool_studies": []}, r"pool_studies: the pool is empty"),
        ({"pool_studies": None, "pool_cohort": 987654}, r"pool_cohort: no cohort 987654"),
        ({"pool_studies": None, "pool_dataset_version": 987654}, r"pool_dataset_version: no dataset version"),
        ({"heldout_phantoms": 0}, r"heldout: give heldout_version or heldout_phantoms \(one of the two\)"),
        ({"heldout_version": 987654}, r"heldout: give heldout_version or heldout_phantoms"),
        ({"heldout_phantoms": 0, "heldout_version": 987654}, r"heldout_version: no dataset version 987654"),
        ({"per_round": 0}, r"per_round must be at least 1, got 0"),
        ({"project_id": 987654}, r"project: no reading project 987654"),
    ],
)
def test_bad_values_are_refused_naming_the_field(project, images, reader, changes, message):
    with pytest.raises(InvalidInput, match=message):
        _create(project, images, reader, **changes)
    assert not LearningLoop.objects.exists()


def test_users_without_the_reader_role_and_empty_cohorts_are_refused(project, images, reader):
    lead = user_create(username="not-a-reader", password="not-a-reader-123", roles=["lead"])
    with pytest.raises(InvalidInput, match=r"reader_ids: not-a-reader do\(es\) not hold the reader role"):
        _create(project, images, reader, reader_ids=[reader.pk, lead.pk])
    empty = cohort_create(name="none", filters={"modalities": ["MR"]})
    with pytest.raises(InvalidInput, match=r"pool_cohort: the pool is empty"):
        _create(project, images, reader, pool_studies=None, pool_cohort=empty.pk)


def test_a_project_has_at_most_one_loop(project, images, reader):
    _create(project, images, reader)
    with pytest.raises(Conflict, match="project: Loop project already has a learning loop"):
        _create(project, images, reader, scoring="")


def test_update_changes_how_the_next_rounds_choose(project, images, reader):
    loop = _create(project, images, reader)
    loop_update(loop=loop, scoring="", strategy="random", per_round=2, retrain_every=4)
    loop.refresh_from_db()
    assert (loop.scoring, loop.strategy, loop.per_round, loop.retrain_every) == ("", "random", 2, 4)
    with pytest.raises(InvalidInput, match="scoring: unknown method 'x'"):
        loop_update(loop=loop, scoring="x")
    with pytest.raises(InvalidInput, match="per_round must be at least 1"):
        loop_update(loop=loop, per_round=0)
    loop.refresh_from_db()
    assert loop.scoring == "" and loop.per_round == 2


def test_the_api_creates_reads_and_changes_a_loop(project, images, reader):
    lead = APIClient()
    lead.force_authenticate(user_create(username="loop-lead", password="loop-lead-123", roles=["lead"]))
    body = {"project": project.pk, "pool_studies": [i.study_id for i in images], "reader_ids": [reader.pk],
            "scoring": "margin", "strategy": "top_k", "per_round": 2, "heldout_phantoms": 4}  # fmt: skip
    refused = APIClient()
    refused.force_authenticate(reader)
    assert refused.post("/api/learning/loops/", body, format="json").status_code == 403
    bad = lead.post("/api/learning/loops/", {**body, "scoring": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("scoring: unknown method 'nope'")
    created = lead.post("/api/learning/loops/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["project_name"], data["pool_size"], data["readers"], data["scoring"]) == (
        "Loop project", 4, [reader.pk], "margin")  # fmt: skip
    assert lead.post("/api/learning/loops/", body, format="json").status_code == 409
    assert lead.get(f"/api/learning/loops/{data['id']}/").json() == data
    changed = lead.patch(f"/api/learning/loops/{data['id']}/", {"per_round": 5, "scoring": ""}, format="json")
    assert changed.status_code == 200 and (changed.json()["per_round"], changed.json()["scoring"]) == (5, "")
    assert (
        lead.patch(f"/api/learning/loops/{data['id']}/", {"per_round": 0}, format="json").status_code == 400
    )
    assert lead.get("/api/learning/loops/987654/").status_code == 404
    options = lead.get("/api/learning/options/").json()
    assert "entropy" in options["scoring"] and options["strategies"] == ["diverse", "random", "top_k"]
    assert "tiny" in options["configs"] and "head_macro_auroc" in options["metrics"]

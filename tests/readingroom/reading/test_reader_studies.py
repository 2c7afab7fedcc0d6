"""Reader studies through the HTTP API: set-up by a lead, start only from a frozen dataset version, case
order randomised per reader from the stored seed, arms in order with a washout, progress per reader."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readingroom.core.models import AuditEvent
from readingroom.reading.models import Assignment, ReadingSession
from readingroom.reading.study_services import case_order, reader_seed
from tests.readingroom.reading.conftest import REPORT, api_for, create_study, start_study, worklist

pytestmark = pytest.mark.django_db


def test_a_study_cannot_start_before_its_dataset_version_is_frozen(lead, readers, frozen_version):
    study = create_study(lead, readers, dataset_id=frozen_version.dataset_id)
    assert study["status"] == "draft" and study["dataset_version_frozen"] is False
    refused = api_for(lead).post(f"/api/reader-studies/{study['id']}/start/")
    assert refused.status_code == 400
    assert "dataset version is not frozen" in refused.json()["detail"]
    assert "Reader study cases" in refused.json()["detail"]
    assert not Assignment.objects.filter(project_id=study["id"]).exists()  # nothing written half-way
    audit = AuditEvent.objects.get(action="study.start.refused")
    assert audit.actor == lead and "not frozen" in audit.detail["reason"]

    patched = api_for(lead).patch(f"/api/reader-studies/{study['id']}/",
                                  {"dataset_version_id": frozen_version.pk}, format="json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["dataset_version_frozen"] is True
    started = start_study(lead, study["id"])
    assert started["status"] == "running" and started["started_at"]
    again = api_for(lead).post(f"/api/reader-studies/{study['id']}/start/")
    assert again.status_code == 409 and "already been started" in again.json()["detail"]
    late_change = api_for(lead).patch(
        f"/api/reader-studies/{study['id']}/", {"washout_days": 3}, format="json"
    )
    assert late_change.status_code == 409


def test_only_leads_manage_studies(readers, frozen_version):
    client = api_for(readers[0])
    assert client.get("/api/reader-studies/").status_code == 403
    body = {"name": "x", "arms": [{"name": "a", "mode": "unaided"}], "reader_ids": [readers[0].pk]}
    refused = client.post("/api/reader-studies/", body, format="json")
    assert refused.status_code == 403 and "lead" in refused.json()["detail"]


def test_bad_set_up_is_refused_with_the_field_named(lead, readers, frozen_version):
    client = api_for(lead)
    bad_mode = {"name": "s", "arms": [{"name": "a", "mode": "telepathy"}], "reader_ids": [readers[0].pk]}
    assert "mode" in str(client.post("/api/reader-studies/", bad_mode, format="json").json())
    lead_as_reader = {"name": "s", "arms": [{"name": "a", "mode": "unaided"}], "reader_ids": [lead.pk]}
    response = client.post("/api/reader-studies/", lead_as_reader, format="json")
    assert response.status_code == 400 and "reader role" in response.json()["detail"]
    readers_list = client.get("/api/users/?role=reader").json()
    assert {u["username"] for u in readers_list} == {"r1", "r2"}


def test_case_order_is_randomised_per_reader_from_the_stored_seed(lead, readers, frozen_version, cases):
    study = start_study(lead, create_study(lead, readers, version=frozen_version)["id"])
    study_ids = sorted(image.study_id for image in cases)
    position = {arm["id"]: arm["position"] for arm in study["arms"]}
    orders = {}
    for member, reader in zip(study["readers"], readers, strict=True):
        assert member["seed"] == reader_seed(study_seed=12345, reader_id=reader.pk)
        items = worklist(reader, study["id"])
        assert len(items) == 6  # three cases in each of two arms
        first_arm = [a for a in items if a["arm"]["id"] == member["arm_order"][0]]
        expected = case_order(
            seed=member["seed"], arm_position=position[member["arm_order"][0]], study_ids=study_ids
        )
        assert [a["study"]["id"] for a in sorted(first_arm, key=lambda a: a["order"])] == expected
        assert all(a["available"] for a in first_arm)
        second_arm = [a for a in items if a["arm"]["id"] == member["arm_order"][1]]
        assert not any(a["available"] for a in second_arm)
        assert "finish the 3 case(s) left" in second_arm[0]["blocked_reason"]
        orders[reader.pk] = [a["study"]["id"] for a in items]
    # counterbalanced: the two readers read the arms in opposite orders
    assert study["readers"][0]["arm_order"] == list(reversed(study["readers"][1]["arm_order"]))
    # the same seed gives the same orders in a second study
    again = start_study(lead, create_study(lead, readers, version=frozen_version, name="Replica")["id"])
    for reader in readers:
        assert [a["study"]["id"] for a in worklist(reader, again["id"])] == orders[reader.pk]


def _read(reader, assignment_id: int) -> int:
    client = api_for(reader)
    started = client.post(f"/api/assignments/{assignment_id}/start/", {}, format="json")
    assert started.status_code == 200, started.json()
    session_id = started.json()["session_id"]
    assert client.post(f"/api/sessions/{session_id}/report/", REPORT, format="json").status_code == 201
    return session_id


def test_washout_keeps_the_next_arm_closed_and_progress_shows_it(lead, readers, frozen_version):
    study = start_study(lead, create_study(lead, readers[:1], version=frozen_version, washout_days=2)["id"])
    reader = readers[0]
    items = worklist(reader, study["id"])
    first, second = items[:3], items[3:]
    for item in first:
        _read(reader, item["id"])
    blocked = worklist(reader, study["id"])[3]
    assert blocked["available"] is False and "washout" in blocked["blocked_reason"]
    last_read = ReadingSession.objects.filter(reader=reader).latest("submitted_at").submitted_at
    assert blocked["available_from"].startswith((last_read + timedelta(days=2)).isoformat()[:19])
    refused = api_for(reader).post(f"/api/assignments/{second[0]['id']}/start/", {}, format="json")
    assert refused.status_code == 409 and "washout" in refused.json()["detail"]

    progress = api_for(lead).get(f"/api/reader-studies/{study['id']}/progress/").json()
    (row,) = progress
    assert row["username"] == "r1" and (row["total"], row["done"]) == (6, 3)
    assert [(arm["done"], arm["available"]) for arm in row["arms"]] == [(3, True), (0, False)]

    # Three days later (the reads moved back in time instead of the clock forward): the arm opens.
    ReadingSession.objects.filter(reader=reader).update(submitted_at=last_read - timedelta(days=3))
    assert worklist(reader, study["id"])[3]["available"] is True
    assert (
        api_for(reader).post(f"/api/assignments/{second[0]['id']}/start/", {}, format="json").status_code
        == 200
    )

"""What a reader sees of the model by arm, the second read, and blinding between readers (HTTP)."""

from __future__ import annotations

import pytest

from readingroom.core.models import AuditEvent
from readingroom.modeling.models import Prediction
from readingroom.reading.models import ReadingSession
from tests.readingroom.reading.conftest import REPORT, api_for, create_study, labels, start_study, worklist

pytestmark = pytest.mark.django_db


def _one_arm_study(lead, readers, version, mode: str) -> dict:
    arms = [{"name": mode, "mode": mode}]
    return start_study(lead, create_study(lead, readers, version=version, arms=arms, name=mode)["id"])


def _start(reader, study: dict) -> dict:
    first = worklist(reader, study["id"])[0]
    response = api_for(reader).post(f"/api/assignments/{first['id']}/start/", {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_unaided_arm_never_shows_the_model(lead, readers, frozen_version):
    study = _one_arm_study(lead, readers[:1], frozen_version, "unaided")
    started = _start(readers[0], study)
    assert started["arm"]["mode"] == "unaided" and started["predictions_visible"] is False
    client = api_for(readers[0])
    session_id = started["session_id"]
    assert not Prediction.objects.filter(session_id=session_id).exists()  # not computed while reading
    assert client.post(f"/api/sessions/{session_id}/report/", REPORT, format="json").status_code == 201
    Prediction.objects.filter(session_id=session_id).update(
        status="done", probabilities=dict.fromkeys(labels(), 0.9), attention_file="x.png"
    )
    results = client.get(f"/api/sessions/{session_id}/results/").json()
    assert results["prediction"]["status"] == "hidden" and results["prediction"]["probabilities"] is None
    assert "unaided" in results["prediction"]["message"]
    attention = client.get(f"/api/sessions/{session_id}/attention.png")
    assert attention.status_code == 403 and "unaided" in attention.json()["detail"]
    # The study's lead is not blinded: the same results, unmasked.
    for_lead = api_for(lead).get(f"/api/sessions/{session_id}/results/").json()
    assert (
        for_lead["prediction"]["status"] == "done" and for_lead["prediction"]["probabilities"]["Edema"] == 0.9
    )


def test_a_lead_who_reads_in_a_study_is_blinded_like_any_reader(lead, frozen_version):
    lead.roles = ["lead", "reader"]
    lead.save()
    study = _one_arm_study(lead, [lead], frozen_version, "unaided")
    session_id = _start(lead, study)["session_id"]
    Prediction.objects.create(
        session_id=session_id, status="done", probabilities=dict.fromkeys(labels(), 0.9)
    )
    results = api_for(lead).get(f"/api/sessions/{session_id}/results/").json()
    assert results["prediction"]["status"] == "hidden"


def test_ai_assisted_arm_computes_and_shows_the_prediction_from_the_start(lead, readers, frozen_version):
    study = _one_arm_study(lead, readers[:1], frozen_version, "ai_assisted")
    started = _start(readers[0], study)
    assert started["predictions_visible"] is True
    session_id = started["session_id"]
    assert Prediction.objects.get(session_id=session_id).status == "pending"  # queued at the start
    results = api_for(readers[0]).get(f"/api/sessions/{session_id}/results/").json()
    assert results["status"] == "not_submitted" and results["prediction"]["status"] == "pending"
    assert results["arm_mode"] == "ai_assisted"


def test_second_read_shows_the_model_after_the_first_read_and_keeps_both_reads(lead, readers, frozen_version):
    study = _one_arm_study(lead, readers[:1], frozen_version, "second_read")
    started = _start(readers[0], study)
    client = api_for(readers[0])
    session_id = started["session_id"]
    before = client.get(f"/api/sessions/{session_id}/results/").json()
    assert (
        before["prediction"]["status"] == "hidden"
        and "after the first read" in before["prediction"]["message"]
    )
    early = client.post(f"/api/sessions/{session_id}/second-read/", REPORT, format="json")
    assert early.status_code == 409 and "no first read yet" in early.json()["detail"]

    assert client.post(f"/api/sessions/{session_id}/report/", REPORT, format="json").status_code == 201
    session = ReadingSession.objects.get(pk=session_id)
    assert (session.status, session.phase) == ("open", "second_read")
    after = client.get(f"/api/sessions/{session_id}/results/").json()
    assert after["prediction"]["status"] == "pending" and after["phase"] == "second_read"
    twice = client.post(f"/api/sessions/{session_id}/report/", REPORT, format="json")
    assert twice.status_code == 409 and f"/api/sessions/{session_id}/second-read/" in twice.json()["detail"]

    revised = {**REPORT, "impression": "Small left effusion.", "labels": labels(Pleural_Effusion="present")}
    second = client.post(f"/api/sessions/{session_id}/second-read/", revised, format="json")
    assert (
        second.status_code == 201 and second.json()["number"] == 2 and second.json()["kind"] == "second_read"
    )
    report = client.get(f"/api/sessions/{session_id}/report/").json()
    assert [v["kind"] for v in report["versions"]] == ["first_read", "second_read"]
    assert (
        report["versions"][0]["impression"] == "Normal chest."
        and report["impression"] == "Small left effusion."
    )
    assert report["locked"] is True and report["version"] == 2
    assert ReadingSession.objects.get(pk=session_id).status == "submitted"
    (reading,) = api_for(lead).get(f"/api/reader-studies/{study['id']}/readings/").json()
    assert reading["first_labels"]["No Finding"] == "present" and reading["versions"] == 2
    assert reading["final_labels"]["Pleural Effusion"] == "present" and reading["mode"] == "second_read"
    assert api_for(readers[0]).get(f"/api/reader-studies/{study['id']}/readings/").status_code == 403
    again = client.post(f"/api/sessions/{session_id}/second-read/", revised, format="json")
    assert again.status_code == 409 and "already submitted" in again.json()["detail"]


def test_a_reader_never_sees_another_readers_session_or_the_reference_standard(
    lead, readers, frozen_version, cases
):
    study = _one_arm_study(lead, readers, frozen_version, "ai_assisted")
    owner, other = readers
    started = _start(owner, study)
    session_id = started["session_id"]
    assert (
        api_for(owner).post(f"/api/sessions/{session_id}/report/", REPORT, format="json").status_code == 201
    )
    spy = api_for(other)
    for path in ("results/", "report/", "heatmap.png", "attention.png", "tracking/"):
        response = spy.get(f"/api/sessions/{session_id}/{path}")
        assert response.status_code == 403, path
        assert "another reader" in response.json()["detail"]
    owner_case = worklist(owner, study["id"])[0]
    assert spy.post(f"/api/assignments/{owner_case['id']}/start/", {}, format="json").status_code == 403
    refusal = AuditEvent.objects.get(action="session.start.refused", actor=other)
    assert refusal.target == f"assignment:{owner_case['id']}" and "another reader" in refusal.detail["reason"]
    amend = spy.post(
        f"/api/sessions/{session_id}/report/amendments/", {**REPORT, "reason": "x"}, format="json"
    )
    assert amend.status_code == 403
    study_id = cases[0].study_id
    assert spy.get(f"/api/studies/{study_id}/labels/").status_code == 403  # the reference standard
    assert spy.get(f"/api/reader-studies/{study['id']}/progress/").status_code == 403

"""Reports: the lock on a submitted report, versioned amendments, sentence time spans (typed and dictated),
and refused report actions (a clear message, an audit entry that keeps what was sent)."""

from __future__ import annotations

import time

import pytest

from readingroom.core.models import AuditEvent
from readingroom.gaze.services import clock_sample_record
from tests.readingroom.reading.conftest import REPORT, api_for, labels

pytestmark = pytest.mark.django_db


def test_a_submitted_report_is_locked_and_amendments_are_versioned(reader, reading_session):
    client = api_for(reader)
    url = f"/api/sessions/{reading_session.pk}/report/"
    assert client.post(url, REPORT, format="json").status_code == 201
    edit = client.put(url, {**REPORT, "findings": "Changed."}, format="json")
    assert (
        edit.status_code == 409
        and "locked" in edit.json()["detail"]
        and "amendments" in edit.json()["detail"]
    )
    assert client.patch(url, {"findings": "Changed."}, format="json").status_code == 409
    assert AuditEvent.objects.filter(action="report.edit.refused").count() == 2

    no_reason = client.post(f"{url}amendments/", {**REPORT, "reason": " "}, format="json")
    assert no_reason.status_code == 400
    amended = {**REPORT, "impression": "Mild cardiomegaly.", "labels": labels(Cardiomegaly="present"),
               "reason": "second look at the heart border"}  # fmt: skip
    response = client.post(f"{url}amendments/", amended, format="json")
    assert response.status_code == 201
    assert response.json()["number"] == 2 and response.json()["author"] == "reader"
    report = client.get(url).json()
    assert report["version"] == 2 and report["impression"] == "Mild cardiomegaly."
    original, amendment = report["versions"]
    assert (original["kind"], original["impression"], original["labels"]["No Finding"]) == (
        "first_read", "Normal chest.", "present")  # fmt: skip
    assert amendment["kind"] == "amendment" and amendment["reason"] == "second look at the heart border"
    assert AuditEvent.objects.filter(action="report.amend", target=f"session:{reading_session.pk}").exists()


def test_a_report_submitted_twice_keeps_the_first_and_audits_the_second(reader, reading_session):
    client = api_for(reader)
    url = f"/api/sessions/{reading_session.pk}/report/"
    assert client.post(url, REPORT, format="json").status_code == 201
    second = {**REPORT, "findings": "A different text sent by a double click."}
    again = client.post(url, second, format="json")
    assert again.status_code == 409 and "already submitted" in again.json()["detail"]
    assert client.get(url).json()["findings"] == REPORT["findings"]
    audit = AuditEvent.objects.get(action="report.submit.refused")
    assert audit.detail["content"]["findings"] == second["findings"] and audit.detail["status"] == 409


def test_an_invalid_label_value_names_the_observation_and_stores_nothing(reader, reading_session):
    client = api_for(reader)
    bad = {**REPORT, "labels": labels(Edema="maybe")}
    response = client.post(f"/api/sessions/{reading_session.pk}/report/", bad, format="json")
    assert response.status_code == 400
    assert "labels['Edema']" in response.json()["detail"] and "present" in response.json()["detail"]
    assert client.get(f"/api/sessions/{reading_session.pk}/report/").status_code == 404
    assert (
        AuditEvent.objects.get(action="report.submit.refused").detail["content"]["labels"]["Edema"] == "maybe"
    )
    assert (
        client.post(f"/api/sessions/{reading_session.pk}/report/", REPORT, format="json").status_code == 201
    )


def _ping(session, stream: str = "page") -> float:
    """One ping of ``stream``: its clock reads 1000 ms now. Returns the offset (server minus stream)."""
    return clock_sample_record(
        session_id=session.pk, stream=stream, t_client_ms=1000.0, t_server_ms=time.time() * 1000
    )


def test_typed_sentence_spans_are_validated_and_kept_on_the_session_clock(reader, reading_session):
    offset = _ping(reading_session)
    client = api_for(reader)
    url = f"/api/sessions/{reading_session.pk}/report/"
    spans = [{"text": "Heart size normal.", "start_ms": 1000, "end_ms": 1400},
             {"text": "Lungs clear.", "start_ms": 1500, "end_ms": 1800},
             {"text": "Normal chest.", "start_ms": 1900, "end_ms": 2100}]  # fmt: skip

    def submit(sentences, stream="page"):
        return client.post(url, {**REPORT, "sentences": sentences, "sentence_stream": stream}, format="json")

    cases = [
        ([spans[1], spans[0]], "page", "spans must be in report order"),
        ([{**spans[0], "end_ms": 900}], "page", "ends before it starts"),
        ([{**spans[0], "text": "Pneumothorax."}], "page", "does not appear in the report"),
        ([spans[0], {**spans[0], "start_ms": 1450, "end_ms": 1460}], "page", "after the sentence before it"),
        ([{**spans[0], "start_ms": -100000, "end_ms": -99000}, spans[1]], "page", "outside the session"),
        (spans, "never-pinged", "has sent no ping"),
    ]
    for sentences, stream, message in cases:
        response = submit(sentences, stream)
        assert response.status_code == 400 and message in response.json()["detail"], (
            message,
            response.json(),
        )
    assert client.get(url).status_code == 404  # nothing stored by the refusals
    assert submit(spans).status_code == 201
    (version,) = client.get(url).json()["versions"]
    assert [s["text"] for s in version["sentences"]] == [
        "Heart size normal.",
        "Lungs clear.",
        "Normal chest.",
    ]
    assert version["sentences"][1]["start_ms"] == pytest.approx(1500 + offset)
    assert {s["source"] for s in version["sentences"]} == {"typing"}


def test_dictation_transcripts_from_a_bridge_give_the_sentence_spans(reader, other_reader, reading_session):
    offset = _ping(reading_session, stream="bridge")
    words = [("Heart", 1000, 1100), ("size", 1120, 1200), ("normal.", 1220, 1400), ("Lungs", 1600, 1700),
             ("clear.", 1720, 1900), ("Tiny", 2000, 2100), ("nodule.", 2120, 2300)]  # fmt: skip
    body = {"stream": "bridge", "words": [{"word": w, "start_ms": s, "end_ms": e} for w, s, e in words]}
    url = f"/api/sessions/{reading_session.pk}/transcripts/"
    anonymous = api_for(None)
    assert anonymous.post(url, body, format="json", HTTP_X_CAPTURE_TOKEN="wrong").status_code == 403
    assert api_for(other_reader).post(url, body, format="json").status_code == 403
    stored = anonymous.post(url, body, format="json", HTTP_X_CAPTURE_TOKEN=reading_session.capture_token)
    assert stored.status_code == 201 and stored.json()["words"] == 7
    bad = {"words": [{"word": "late", "start_ms": 10, "end_ms": 5}]}
    refused = anonymous.post(url, bad, format="json", HTTP_X_CAPTURE_TOKEN=reading_session.capture_token)
    assert refused.status_code == 400 and "ends before it starts" in refused.json()["detail"]

    # The reader removed the dictated "Tiny nodule." before submitting: that sentence is left out.
    client = api_for(reader)
    assert (
        client.post(f"/api/sessions/{reading_session.pk}/report/", REPORT, format="json").status_code == 201
    )
    (version,) = client.get(f"/api/sessions/{reading_session.pk}/report/").json()["versions"]
    assert [(s["text"], s["source"]) for s in version["sentences"]] == [
        ("Heart size normal.", "dictation"), ("Lungs clear.", "dictation")]  # fmt: skip
    assert version["sentences"][0]["start_ms"] == pytest.approx(1000 + offset)


def test_a_submit_racing_another_tab_gets_a_conflict_not_an_error(reader, reading_session):
    from readingroom.reading.models import ReadingSession
    from readingroom.reading.services import report_submit

    other_tab = ReadingSession.objects.get(pk=reading_session.pk)  # loaded before the first submit
    report_submit(session=reading_session, reader=reader, **REPORT)
    with pytest.raises(Exception) as caught:
        report_submit(session=other_tab, reader=reader, **{**REPORT, "findings": "From the other tab."})
    assert getattr(caught.value, "status_code", None) == 409 and "already submitted" in str(caught.value)
    assert (
        AuditEvent.objects.get(action="report.submit.refused").detail["content"]["findings"]
        == "From the other tab."
    )

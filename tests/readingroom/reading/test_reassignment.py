"""A case reassigned while its first reader still has it open: the stale page gets clear refusals, the
session's gaze and the refused report's text are kept, and the new reader can read the case."""

from __future__ import annotations

import pytest

from readingroom.core.exceptions import Conflict
from readingroom.core.models import AuditEvent
from readingroom.core.services import user_create
from readingroom.gaze.models import GazeChunk
from readingroom.gaze.services import capture_session_authorise, gaze_batch_store
from readingroom.reading.models import ReadingSession
from tests.readingroom.reading.conftest import REPORT, api_for

pytestmark = pytest.mark.django_db


def test_a_stale_page_after_reassignment_is_told_and_loses_nothing(
    reader, other_reader, assignment, reading_session
):
    lead = user_create(username="lead", password="lead-pass-123", roles=["lead"])
    batch = {"seq": 0, "device": "test", "samples": {"t": [0.0, 4.0], "x": [1.0, 2.0], "y": [1.0, 2.0]}}
    gaze_batch_store(session_id=reading_session.pk, message=batch)
    assert api_for(reader).post(f"/api/assignments/{assignment.pk}/reassign/", {"reader_id": other_reader.pk},
                                format="json").status_code == 403  # fmt: skip
    moved = api_for(lead).post(f"/api/assignments/{assignment.pk}/reassign/", {"reader_id": other_reader.pk},
                               format="json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["reader_id"] == other_reader.pk
    reading_session.refresh_from_db()
    assert reading_session.status == ReadingSession.Status.ABANDONED
    assert GazeChunk.objects.filter(session=reading_session).count() == 1  # the gaze read so far is kept

    stale = api_for(reader)
    typed = {**REPORT, "findings": "Typed on the stale page."}
    submit = stale.post(f"/api/sessions/{reading_session.pk}/report/", typed, format="json")
    assert submit.status_code == 409 and "reassigned to another reader" in submit.json()["detail"]
    kept = AuditEvent.objects.get(action="report.submit.refused")
    assert kept.detail["content"]["findings"] == "Typed on the stale page."
    reopen = stale.post(f"/api/assignments/{assignment.pk}/start/", {}, format="json")
    assert reopen.status_code == 403 and "was reassigned" in reopen.json()["detail"]
    assert AuditEvent.objects.filter(action="session.start.refused", actor=reader).exists()
    with pytest.raises(Exception, match="closed"):
        gaze_batch_store(session_id=reading_session.pk, message={**batch, "seq": 1})
    with pytest.raises(
        Conflict, match="closed: the case was reassigned to another reader"
    ):  # the page's socket
        capture_session_authorise(session_id=reading_session.pk, user=reader, token_session_id=None)

    new = api_for(other_reader)
    assert [a["id"] for a in new.get("/api/worklist/").json()] == [assignment.pk]
    started = new.post(f"/api/assignments/{assignment.pk}/start/", {}, format="json").json()
    assert started["session_id"] != reading_session.pk
    assert (
        new.post(f"/api/sessions/{started['session_id']}/report/", REPORT, format="json").status_code == 201
    )
    done = api_for(lead).post(
        f"/api/assignments/{assignment.pk}/reassign/", {"reader_id": reader.pk}, format="json"
    )
    assert done.status_code == 409 and "already been read" in done.json()["detail"]

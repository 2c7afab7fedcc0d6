"""Results pushed over the session's WebSocket when the worker finishes: the 14 probabilities, agreement per
observation, the report draft and the map URLs; masked by the arm; never to another reader's socket."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from readingroom.asgi import application
from readingroom.celery import app as celery_app
from readingroom.gaze.analysis import analysis_run
from readingroom.modeling.models import TrainingRun
from readingroom.modeling.services import prediction_run, training_run_execute
from readingroom.reading.models import OBSERVATIONS
from readingroom.reading.services import report_submit, session_start
from readingroom.reading.study_services import study_create, study_start
from tests.readingroom.reading.conftest import labels

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
    ]


def _session_in_arm(mode: str, lead, readers, version):
    project = study_create(lead=lead, name=mode, arms=[{"name": mode, "mode": mode}],
                           reader_ids=[r.pk for r in readers], dataset_version_id=version.pk)  # fmt: skip
    study_start(project_id=project.pk, lead=lead)
    assignment = project.assignments.filter(reader=readers[0]).order_by("order").first()
    return session_start(assignment_id=assignment.pk, reader=readers[0])


async def _next_results(ws: WebsocketCommunicator, done) -> dict:
    """Messages until one satisfies ``done`` (earlier pushes of the same session may come first)."""
    while True:
        message = await ws.receive_json_from(timeout=30)
        assert message["type"] == "results"
        if done(message):
            return message


def test_the_model_output_is_pushed_to_the_reader_of_an_ai_assisted_session(
    lead, readers, frozen_version, eager_tasks
):
    run = training_run_execute(run_id=TrainingRun.objects.create(name="push", config_name="tiny",
                                                                  data_spec="phantoms:8", max_steps=2).pk)  # fmt: skip
    assert run.status == "done", run.error
    session = _session_in_arm("ai_assisted", lead, readers, frozen_version)
    owner_headers, spy_headers = _headers(readers[0]), _headers(readers[1])
    report = {"findings": "Enlarged heart.", "impression": "Cardiomegaly.",
              "labels": labels(Cardiomegaly="present", Edema="absent")}  # fmt: skip

    async def scenario():
        owner = WebsocketCommunicator(application, f"/ws/gaze/{session.pk}/", headers=owner_headers)
        assert (await owner.connect())[0]
        spy = WebsocketCommunicator(application, f"/ws/gaze/{session.pk}/", headers=spy_headers)
        await spy.connect()
        rejection = await spy.receive_json_from(timeout=5)
        closed = await spy.receive_output(timeout=5)
        await database_sync_to_async(prediction_run)(session_id=session.pk)  # the worker finishes
        while_reading = await _next_results(owner, lambda m: m["prediction"]["status"] == "done")
        await database_sync_to_async(report_submit)(session=session, reader=readers[0], **report)
        after_submit = await _next_results(owner, lambda m: m["prediction"]["agreement"] is not None)
        spy_heard = await spy.receive_nothing(timeout=0.2)
        await owner.disconnect()
        return rejection, closed, while_reading, after_submit, spy_heard

    rejection, closed, while_reading, after_submit, spy_heard = asyncio.run(scenario())
    assert "another reader" in rejection["reason"] and closed["code"] == 4403 and spy_heard
    prediction = while_reading["prediction"]
    assert while_reading["session_id"] == session.pk and while_reading["arm_mode"] == "ai_assisted"
    assert set(prediction["probabilities"]) == set(OBSERVATIONS) and len(prediction["probabilities"]) == 14
    assert prediction["attention_url"] == f"/api/sessions/{session.pk}/attention.png"
    assert isinstance(prediction["findings"], str | None) and prediction["agreement"] is None  # not read yet
    agreement = after_submit["prediction"]["agreement"]
    rows = {row["observation"]: row for row in agreement["observations"]}
    assert list(rows) == list(OBSERVATIONS) and agreement["compared"] == 2
    cardio = rows["Cardiomegaly"]
    assert cardio["reader"] == "present" and cardio["agree"] == (cardio["model_probability"] >= 0.5)
    assert rows["Atelectasis"]["agree"] is None  # not mentioned by the reader


def test_an_unaided_session_gets_its_gaze_results_but_never_the_model(
    lead, readers, frozen_version, eager_tasks
):
    session = _session_in_arm("unaided", lead, readers, frozen_version)
    headers = _headers(readers[0])

    async def scenario():
        owner = WebsocketCommunicator(application, f"/ws/gaze/{session.pk}/", headers=headers)
        assert (await owner.connect())[0]
        await database_sync_to_async(prediction_run)(session_id=session.pk)
        pushed = await owner.receive_json_from(timeout=30)
        await database_sync_to_async(analysis_run)(session_id=session.pk)
        analysed = await owner.receive_json_from(timeout=30)
        await owner.disconnect()
        return pushed, analysed

    pushed, analysed = asyncio.run(scenario())
    for message in (pushed, analysed):
        assert message["prediction"]["status"] == "hidden" and message["prediction"]["probabilities"] is None
    assert analysed["status"] == "done" and analysed["error"] == "no gaze was recorded"


def test_results_written_by_another_process_reach_the_socket(lead, readers, frozen_version):
    """The worker is another process: it leaves a ResultsEvent row, which every web process's relay reads
    and sends to the session's sockets it holds (no channel layer involved, in either mode)."""
    from readingroom.reading.models import ResultsEvent

    session = _session_in_arm("unaided", lead, readers, frozen_version)
    headers = _headers(readers[0])

    async def scenario():
        owner = WebsocketCommunicator(application, f"/ws/gaze/{session.pk}/", headers=headers)
        assert (await owner.connect())[0]
        await asyncio.sleep(0.2)  # the relay has taken its starting point
        await database_sync_to_async(ResultsEvent.objects.create)(
            session_id=session.pk
        )  # as the worker would
        pushed = await owner.receive_json_from(timeout=30)
        again = await owner.receive_nothing(timeout=1.5)  # sent once, not at every poll
        await owner.disconnect()
        return pushed, again

    pushed, again = asyncio.run(scenario())
    assert pushed["type"] == "results" and pushed["session_id"] == session.pk
    assert pushed["prediction"]["status"] == "hidden" and again
    # the row stays for the relays of other web processes (removed once older than RETENTION_S)
    assert ResultsEvent.objects.filter(session=session).exists()

"""A committed submission is always processed: the tasks go through an outbox written with the submission.

The broker (Redis) may be unreachable when a reader submits. The submission commits and answers 201; the
analysis and prediction tasks wait in the outbox until the broker answers again.
"""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from readingroom.celery import app as celery_app
from readingroom.core.models import OutboxMessage
from readingroom.core.outbox import outbox_send
from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from tests.readingroom.reading.conftest import eager_tasks

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def _use_broker(url: str | None) -> None:
    # The write URL: CELERY_BROKER_URL in the environment (the PostgreSQL run) overrides broker_url.
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """The Celery app publishing to a port where nothing listens; its real broker back afterwards."""
    _use_broker(f"redis://127.0.0.1:{_closed_port()}/0")
    yield lambda: _use_broker(None)
    _use_broker(None)


@pytest.fixture
def client(reader) -> APIClient:
    client = APIClient()
    client.force_authenticate(reader)
    return client


def _submit(client: APIClient, session_id: int) -> int:
    body = {"findings": "Clear lungs.", "impression": "Normal.", "labels": {}}
    return client.post(f"/api/sessions/{session_id}/report/", body, format="json").status_code


def test_submit_with_the_broker_down_commits_answers_201_and_is_processed_later(
    broker_down, client, reading_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _submit(client, reading_session.pk) == 201
    assert GazeAnalysis.objects.get(session=reading_session).status == GazeAnalysis.Status.PENDING
    assert Prediction.objects.get(session=reading_session).status == Prediction.Status.PENDING
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert sorted(waiting.values_list("task", flat=True)) == [
        "readingroom.gaze.analyse_session", "readingroom.modeling.predict_session"]  # fmt: skip
    assert all(m.attempts == 1 and m.last_error for m in waiting)
    with django_capture_on_commit_callbacks(execute=True):
        assert _submit(client, reading_session.pk) == 409  # a retry: the first submit counted

    broker_down()  # the broker is back: the periodic drain sends what waited (run here, eagerly)
    with eager_tasks():
        assert outbox_send() == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert GazeAnalysis.objects.get(session=reading_session).status == GazeAnalysis.Status.DONE
    assert Prediction.objects.get(session=reading_session).status == Prediction.Status.NO_MODEL
    assert outbox_send() == 0  # nothing is sent twice


def test_outbox_is_sent_right_after_the_commit(client, reading_session, django_capture_on_commit_callbacks):
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        assert _submit(client, reading_session.pk) == 201
    assert OutboxMessage.objects.count() == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert GazeAnalysis.objects.get(session=reading_session).status == GazeAnalysis.Status.DONE

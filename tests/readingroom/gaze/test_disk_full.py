"""A full disk while the worker writes a session's gaze prior: the analysis fails with the reason, leaves no
half-written file, and succeeds when enqueued again once there is space."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from readingroom.gaze.analysis import analysis_run
from readingroom.gaze.models import GazeAnalysis
from readingroom.gaze.services import analysis_queue, gaze_batch_store, view_event_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_with_fixations(reading_session, image):
    view_event_store(session_id=reading_session.pk, message={
        "seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 48, 64], "screen_rect": [0, 0, 192, 256]})  # fmt: skip
    t = np.arange(500) * 2.0
    x = np.where(t < 500, 40.0, 150.0)
    gaze_batch_store(session_id=reading_session.pk, message={
        "seq": 0, "device": "sim", "samples": {"t": t.tolist(), "x": x.tolist(), "y": [100.0] * 500}})  # fmt: skip
    return reading_session


@pytest.fixture
def disk_full(monkeypatch):
    """Every file write stores half its bytes, then fails as a full disk does."""
    real_write = Path.write_bytes

    def write_half(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", write_half)
    return monkeypatch


def test_disk_full_fails_the_analysis_with_its_reason_and_leaves_no_partial_file(
    session_with_fixations, disk_full, settings
):
    session = session_with_fixations
    with pytest.raises(OSError, match="No space left"):
        analysis_run(session_id=session.pk)
    analysis = GazeAnalysis.objects.get(session=session)
    assert analysis.status == "failed" and "No space left on device" in analysis.error
    folder = settings.MEDIA_ROOT / f"gaze/session-{session.pk}"
    assert not folder.exists() or list(folder.iterdir()) == []

    disk_full.undo()  # space again: the analysis, enqueued again, completes
    analysis_queue(session=session)
    analysis = analysis_run(session_id=session.pk)
    assert analysis.status == "done" and analysis.fixation_count == 2
    assert (settings.MEDIA_ROOT / analysis.prior_file).is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["heatmap.png", "prior.npy"]

"""Analysis of a session's gaze: streams with their own clocks line up on the server clock."""

from __future__ import annotations

import numpy as np
import pytest

from readingroom.gaze.analysis import analysis_run
from readingroom.gaze.models import GazeChunk
from readingroom.gaze.services import clock_sample_record, gaze_batch_store, view_event_store

pytestmark = pytest.mark.django_db


def _dwell(t0: float, point: tuple[float, float], ms: float = 400.0, rate_hz: float = 250.0):
    t = t0 + np.arange(int(ms * rate_hz / 1000)) * 1000.0 / rate_hz
    return t, np.full(t.size, point[0]), np.full(t.size, point[1])


def test_bridge_and_page_streams_are_aligned_by_their_clock_offsets(reading_session, image):
    # The page's clock is 1000 ms behind the server, the tracker's 5000 ms behind.
    clock_sample_record(session_id=reading_session.pk, stream="page", t_client_ms=0.0, t_server_ms=1000.0)
    clock_sample_record(session_id=reading_session.pk, stream="bridge", t_client_ms=0.0, t_server_ms=5000.0)
    view_event_store(session_id=reading_session.pk, message={
        "stream": "page", "seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 48, 64],
        "screen_rect": [100, 100, 292, 356], "zoom": 4.0})  # fmt: skip
    # On the tracker's own clock the samples start at -3900 ms: 100 ms after the view, on the server clock.
    parts = [_dwell(-3900.0, (140.0, 140.0)), _dwell(-3450.0, (250.0, 300.0))]
    for seq, (t, x, y) in enumerate(parts):
        gaze_batch_store(session_id=reading_session.pk, message={
            "stream": "bridge", "seq": seq, "device": "tracker",
            "samples": {"t": t.tolist(), "x": x.tolist(), "y": y.tolist()}})  # fmt: skip
    analysis = analysis_run(session_id=reading_session.pk)
    assert analysis.fixation_count == 2
    assert analysis.on_image_fraction == pytest.approx(1.0)
    fixations = list(reading_session.fixations.order_by("index"))
    assert [round(f.x_image) for f in fixations] == [10, 38]
    assert fixations[0].onset_ms == pytest.approx(1100.0, abs=5)  # server clock


def test_same_seq_from_two_streams_is_kept_twice(reading_session):
    message = {"seq": 0, "device": "d", "samples": {"t": [0.0, 4.0], "x": [1.0, 1.0], "y": [1.0, 1.0]}}
    gaze_batch_store(session_id=reading_session.pk, message={**message, "stream": "page-load-1"})
    gaze_batch_store(session_id=reading_session.pk, message={**message, "stream": "page-load-2"})
    gaze_batch_store(session_id=reading_session.pk, message={**message, "stream": "page-load-2"})  # resend
    assert sorted(GazeChunk.objects.values_list("stream", flat=True)) == ["page-load-1", "page-load-2"]


def test_session_without_gaze_is_done_with_a_reason(reading_session):
    analysis = analysis_run(session_id=reading_session.pk)
    assert analysis.status == "done" and analysis.fixation_count == 0
    assert analysis.error == "no gaze was recorded"


def test_unknown_detector_setting_fails_the_system_check(settings):
    from readingroom.gaze.apps import check_detector

    assert check_detector() == []
    settings.GAZE_FIXATION_DETECTOR = "magic"
    (error,) = check_detector()
    assert "GAZE_FIXATION_DETECTOR='magic'" in error.msg and "adaptive" in error.hint


def test_analysis_survives_overlapping_duplicate_and_absurd_times_within_a_stream(reading_session, image):
    """Chunks stored before validation bounded times, or a sender that numbered a resend anew: the analysis
    sorts each stream, drops repeated timestamps and unusable times, and still finds the fixations."""
    from readingroom.gaze.batches import GazeBatch
    from readingroom.gaze.ingest import chunks_store

    view_event_store(session_id=reading_session.pk, message={
        "stream": "page", "seq": 0, "t": 0.0, "image_id": image.pk, "image_region": [0, 0, 48, 64],
        "screen_rect": [100, 100, 292, 356], "zoom": 4.0})  # fmt: skip
    first, second = _dwell(100.0, (140.0, 140.0)), _dwell(550.0, (250.0, 300.0))

    def raw(seq, t, x, y):  # straight into storage, as rows from before the ingest checks would be
        return reading_session.pk, GazeBatch(seq=seq, device="d", stream="page",
                                             data=np.stack([t, x, y, np.ones(t.size)]))  # fmt: skip

    absurd = np.array([-1e308, 1e308])
    chunks_store([
        raw(0, *second),  # stored out of time order
        raw(1, *first),
        raw(2, *first),  # the same samples again under a new seq
        raw(3, absurd, np.array([140.0, 1e308]), np.array([140.0, 140.0])),
    ])  # fmt: skip
    analysis = analysis_run(session_id=reading_session.pk)
    assert analysis.status == "done", analysis.error
    assert analysis.sample_count == first[0].size + second[0].size
    assert analysis.fixation_count == 2
    fixations = list(reading_session.fixations.order_by("index"))
    assert [round(f.x_image) for f in fixations] == [10, 38]

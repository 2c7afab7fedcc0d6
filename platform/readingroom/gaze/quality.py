"""Tracker quality of a session: calibration, validation and drift checks computed on the server from the
target times and gaze samples the client sends (``gaze_capture.quality``), and whether recalibration is due.

Thresholds (settings): ``GAZE_VALIDATION_MAX_ACCURACY_DEG`` (mean accuracy), ``GAZE_VALIDATION_MAX_DATA_LOSS_PCT``
and ``GAZE_DRIFT_MAX_OFFSET_DEG``. The state of a session (:func:`tracking_status`):

- ``calibration_due``: the reader has no validation yet, their latest validation failed, or a drift check
  in this session failed after it;
- ``drift_check_due``: the latest (passed) validation was made in an earlier session (an earlier case) and
  this session has no passed drift check since: a one-target drift check is due between cases;
- ``ok`` otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings

import gaze_capture as gc
from gaze_capture.quality import Target, drift_check, validate
from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.gaze.analysis import screen_geometry
from readingroom.gaze.models import TrackerCheck
from readingroom.reading.models import ReadingSession

MAX_CHECK_SAMPLES = 200_000
TRACKING_STATES: tuple[str, ...] = ("ok", "calibration_due", "drift_check_due")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _limits() -> dict[str, float]:
    return {
        "max_accuracy_deg": float(settings.GAZE_VALIDATION_MAX_ACCURACY_DEG),
        "max_data_loss_pct": float(settings.GAZE_VALIDATION_MAX_DATA_LOSS_PCT),
        "max_drift_deg": float(settings.GAZE_DRIFT_MAX_OFFSET_DEG),
    }


def _targets(raw: Any) -> list[Target]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("targets must be a non-empty list of {x, y, t_on_ms, t_off_ms}")
    out = []
    for i, t in enumerate(raw):
        try:
            target = Target(float(t["x"]), float(t["y"]), float(t["t_on_ms"]), float(t["t_off_ms"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"targets[{i}] needs numeric x, y (screen px), t_on_ms and t_off_ms") from exc
        if not all(math.isfinite(v) for v in (target.x, target.y, target.t_on_ms, target.t_off_ms)):
            raise InvalidInput(f"targets[{i}] has a value that is not finite")
        if target.t_off_ms <= target.t_on_ms:
            raise InvalidInput(f"targets[{i}] is switched off before it is shown (t_off_ms <= t_on_ms)")
        out.append(target)
    return out


def _samples(raw: Any) -> gc.Samples:
    if not isinstance(raw, dict):
        raise InvalidInput("samples must be an object {t, x, y, valid}")
    if len(raw.get("t") or []) > MAX_CHECK_SAMPLES:
        raise InvalidInput(f"samples: at most {MAX_CHECK_SAMPLES} per check")
    try:
        return gc.samples_from_payload(raw)
    except (gc.GazeCaptureError, TypeError, ValueError) as exc:
        raise InvalidInput(f"samples: {exc}") from exc


def _stored_gaze(
    session: ReadingSession, targets: list[Target], stream: str
) -> tuple[gc.Samples, list[Target]]:
    """The session's stored gaze (all streams, on the session clock) and the targets moved onto that clock
    from ``stream``'s clock: for a tracker whose samples reach the server through the bridge, not the page."""
    from readingroom.gaze.analysis import session_gaze

    known = (session.clock_offsets or {}).get(stream) if stream else None
    if known is None:
        raise InvalidInput(
            "without samples, give the stream whose clock the target times are on (one that has pinged), so that "
            "they can be matched with the gaze stored for this session"
        )
    offset = float(known["offset_ms"])
    gaze = session_gaze(session=session)
    if gaze is None:
        raise InvalidInput("no gaze has been stored for this session yet; send samples with the check")
    moved = [Target(t.x, t.y, t.t_on_ms + offset, t.t_off_ms + offset) for t in targets]
    return gaze.samples, moved


def _check_input(
    session: ReadingSession, targets: Any, samples: Any, stream: str
) -> tuple[gc.Samples, list[Target]]:
    cleaned = _targets(targets)
    if samples is None:
        return _stored_gaze(session, cleaned, stream)
    return _samples(samples), cleaned


def _open_session(session: ReadingSession) -> None:
    if session.status != ReadingSession.Status.OPEN:
        raise Conflict(f"reading session {session.pk} is closed; calibrate in the session of the next case")


def tracker_check_store(
    *,
    session: ReadingSession,
    kind: str,
    targets: Any,
    samples: Any = None,
    device: str = "",
    stream: str = "",
) -> TrackerCheck:
    """Compute and store a calibration or validation from its targets and samples (same sender clock).

    Without ``samples``, the gaze already stored for the session is used (a tracker streaming through the
    bridge), and the target times are taken on ``stream``'s clock. Accuracy and precision are in degrees of
    visual angle for the session's screen geometry.
    """
    if kind not in (TrackerCheck.Kind.CALIBRATION, TrackerCheck.Kind.VALIDATION):
        raise InvalidInput(f"kind must be calibration or validation, got {kind!r}")
    _open_session(session)
    limits = _limits()
    gaze, shown = _check_input(session, targets, samples, stream)
    try:
        result = validate(gaze, shown, geometry=screen_geometry(session=session))
    except gc.GazeCaptureError as exc:
        raise InvalidInput(f"{kind}: {exc}") from exc
    passed = result.passed(
        max_accuracy_deg=limits["max_accuracy_deg"], max_data_loss_pct=limits["max_data_loss_pct"]
    )
    return TrackerCheck.objects.create(
        session=session, kind=kind, device=device, stream=stream,
        targets=[{"x": q.target.x, "y": q.target.y, "n_samples": q.n_samples,
                  "accuracy_deg": _finite(q.accuracy_deg), "precision_rms_deg": _finite(q.precision_rms_s2s_deg),
                  "precision_sd_deg": _finite(q.precision_sd_deg), "data_loss_pct": q.data_loss_pct}
                 for q in result.targets],
        accuracy_deg=_finite(result.accuracy_deg), max_accuracy_deg=_finite(result.max_accuracy_deg),
        precision_rms_deg=_finite(result.precision_rms_s2s_deg), precision_sd_deg=_finite(result.precision_sd_deg),
        data_loss_pct=result.data_loss_pct, sample_count=sum(q.n_samples for q in result.targets),
        passed=passed, limits=limits,
    )  # fmt: skip


def drift_check_store(
    *, session: ReadingSession, target: Any, samples: Any = None, device: str = "", stream: str = ""
) -> TrackerCheck:
    """Compute and store a one-target drift check (between cases); samples as for :func:`tracker_check_store`."""
    _open_session(session)
    limits = _limits()
    s, (tgt,) = _check_input(session, [target], samples, stream)
    result = drift_check(
        s, tgt, geometry=screen_geometry(session=session), max_offset_deg=limits["max_drift_deg"]
    )
    window = (s.t_ms >= tgt.t_on_ms) & (s.t_ms < tgt.t_off_ms)
    n = int(window.sum())
    loss = 100.0 * float((~s.valid[window]).sum()) / n if n else 100.0
    return TrackerCheck.objects.create(
        session=session, kind=TrackerCheck.Kind.DRIFT, device=device, stream=stream,
        targets=[{"x": tgt.x, "y": tgt.y, "n_samples": n, "accuracy_deg": _finite(result.offset_deg)}],
        accuracy_deg=_finite(result.offset_deg), max_accuracy_deg=_finite(result.offset_deg),
        data_loss_pct=loss, offset_px=[_finite(result.dx_px), _finite(result.dy_px)], sample_count=n,
        passed=result.passed, limits=limits,
    )  # fmt: skip


def _figures(check: TrackerCheck | None) -> str:
    if check is None:
        return ""
    if check.kind == TrackerCheck.Kind.DRIFT:
        offset = "no valid gaze" if check.accuracy_deg is None else f"offset {check.accuracy_deg:.2f} deg"
        return f"{offset} (limit {check.limits.get('max_drift_deg')} deg)"
    accuracy = "no valid gaze" if check.accuracy_deg is None else f"accuracy {check.accuracy_deg:.2f} deg"
    return (
        f"{accuracy} (limit {check.limits.get('max_accuracy_deg')} deg), data loss {check.data_loss_pct:.1f}% "
        f"(limit {check.limits.get('max_data_loss_pct')}%)"
    )


def tracking_status(*, session: ReadingSession) -> dict[str, Any]:
    """Whether the session's tracker needs recalibration or a drift check (see the module's docstring)."""
    validation = (
        TrackerCheck.objects.filter(session__reader_id=session.reader_id, kind=TrackerCheck.Kind.VALIDATION)
        .order_by("-created_at", "-id")
        .first()
    )
    drift = None
    if validation is not None:
        drift = (
            TrackerCheck.objects.filter(session=session, kind=TrackerCheck.Kind.DRIFT, id__gt=validation.pk)
            .order_by("-created_at", "-id")
            .first()
        )
    if validation is None:
        state, reason = "calibration_due", "no validation yet: calibrate and validate the tracker"
    elif not validation.passed:
        state, reason = "calibration_due", f"the last validation failed: {_figures(validation)}"
    elif drift is not None and not drift.passed:
        state, reason = "calibration_due", f"the drift check failed: {_figures(drift)}"
    elif validation.session_id != session.pk and drift is None:
        state, reason = (
            "drift_check_due",
            "a drift check is due before this case (validated in an earlier case)",
        )
    else:
        state, reason = "ok", ""
    return {
        "state": state,
        "reason": reason,
        "limits": _limits(),
        "validation": validation,
        "drift_check": drift,
    }

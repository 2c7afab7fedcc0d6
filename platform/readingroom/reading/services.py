"""Reading services: starting a session on an assignment and submitting the report."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from readingroom.core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from readingroom.core.models import User
from readingroom.core.services import audit_record
from readingroom.reading.models import (
    LABEL_VALUES,
    OBSERVATIONS,
    Assignment,
    ReadingProject,
    ReadingSession,
    Report,
)
from readingroom.studies.models import Study

_SCREEN_KEYS = ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")


def project_assign(*, project: ReadingProject, reader: User, studies: list[Study]) -> list[Assignment]:
    """Put ``studies`` on the reader's worklist in this order (existing assignments are kept)."""
    assignments = []
    for order, study in enumerate(studies):
        assignment, _ = Assignment.objects.get_or_create(
            project=project, reader=reader, study=study, defaults={"order": order}
        )
        assignments.append(assignment)
    return assignments


def _clean_screen(screen: dict[str, Any] | None) -> dict[str, float]:
    if not screen:
        return {}
    cleaned = {}
    for key in _SCREEN_KEYS:
        value = screen.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise InvalidInput(f"screen.{key} must be a positive number, got {value!r}")
        cleaned[key] = float(value)
    return cleaned


def session_start(
    *, assignment_id: int, reader: User, screen: dict[str, Any] | None = None
) -> ReadingSession:
    """Open (or resume) the reader's session on an assignment.

    An open session of the same assignment is resumed, so a reload of the viewer keeps its gaze.
    """
    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} does not exist")
    if assignment.reader_id != reader.pk:
        raise Forbidden(f"assignment {assignment_id} is on another reader's worklist")
    if assignment.status == Assignment.Status.DONE:
        raise Conflict(f"assignment {assignment_id} has already been read")
    screen_geometry = _clean_screen(screen)
    with transaction.atomic():
        session = assignment.sessions.filter(status=ReadingSession.Status.OPEN).first()
        if session is None:
            session = ReadingSession.objects.create(
                assignment=assignment, reader=reader, screen=screen_geometry
            )
            audit_record(actor=reader, action="session.start", target=f"session:{session.pk}")
        elif screen_geometry:
            session.screen = screen_geometry
            session.save(update_fields=["screen"])
        if assignment.status == Assignment.Status.PENDING:
            assignment.status = Assignment.Status.IN_PROGRESS
            assignment.save(update_fields=["status"])
    return session


def _clean_labels(labels: Any) -> dict[str, str]:
    if not isinstance(labels, dict):
        raise InvalidInput("labels must be an object mapping each observation to a value")
    unknown = sorted(set(labels) - set(OBSERVATIONS))
    if unknown:
        raise InvalidInput(f"labels: unknown observation(s) {', '.join(unknown)}")
    cleaned = {}
    for name in OBSERVATIONS:
        value = labels.get(name, "not_mentioned")
        if value not in LABEL_VALUES:
            raise InvalidInput(f"labels[{name!r}] must be one of {', '.join(LABEL_VALUES)}, got {value!r}")
        cleaned[name] = value
    return cleaned


def report_submit(
    *, session: ReadingSession, reader: User, findings: str, impression: str, labels: dict[str, str]
) -> Report:
    """Store the reader's report, close the session and queue the gaze analysis and the model's prediction."""
    if session.reader_id != reader.pk:
        raise Forbidden(f"reading session {session.pk} belongs to another reader")
    if session.status != ReadingSession.Status.OPEN:
        raise Conflict(f"reading session {session.pk} was already submitted")
    cleaned = _clean_labels(labels)
    if not findings.strip() and not impression.strip():
        raise InvalidInput("findings or impression must not be empty")
    from readingroom.gaze.services import analysis_queue
    from readingroom.modeling.services import prediction_queue

    with transaction.atomic():
        report = Report.objects.create(
            session=session, findings=findings, impression=impression, labels=cleaned
        )
        session.status = ReadingSession.Status.SUBMITTED
        session.submitted_at = timezone.now()
        session.save(update_fields=["status", "submitted_at"])
        Assignment.objects.filter(pk=session.assignment_id).update(status=Assignment.Status.DONE)
        audit_record(actor=reader, action="report.submit", target=f"session:{session.pk}")
        analysis_queue(session=session)
        prediction_queue(session=session)
    return report

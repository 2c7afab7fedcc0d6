"""Reading services: starting a session on an assignment and submitting the report."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.core.models import User
from readingroom.core.services import audit_record
from readingroom.reading.arms import predictions_before_submit
from readingroom.reading.events import results_push_on_commit
from readingroom.reading.models import (
    LABEL_VALUES,
    OBSERVATIONS,
    Assignment,
    ReadingProject,
    ReadingSession,
    Report,
    ReportVersion,
)
from readingroom.reading.reports import (
    audited_refusal,
    report_sentences,
    report_version_record,
    submit_once,
    submit_refusal_check,
)
from readingroom.reading.study_reading import (
    first_read_submit,
    is_first_of_two_reads,
    session_start_check,
    session_started,
    tracking_required_check,
)
from readingroom.studies.models import Study

_SCREEN_KEYS = ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")


def project_assign(*, project: ReadingProject, reader: User, studies: list[Study]) -> list[Assignment]:
    """Put ``studies`` on the reader's worklist in this order (existing assignments are kept)."""
    assignments = []
    for order, study in enumerate(studies):
        assignment, _ = Assignment.objects.get_or_create(
            project=project, reader=reader, study=study, arm=None, defaults={"order": order}
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
    with audited_refusal(
        actor=reader, action="session.start", target=f"assignment:{assignment_id}", content={}
    ):
        session_start_check(assignment=assignment, reader=reader)
    screen_geometry = _clean_screen(screen)
    with transaction.atomic():
        session = assignment.sessions.filter(status=ReadingSession.Status.OPEN).first()
        if session is None:
            session = ReadingSession.objects.create(
                assignment=assignment, reader=reader, screen=screen_geometry
            )
            audit_record(actor=reader, action="session.start", target=f"session:{session.pk}")
            session_started(session=session)
        elif screen_geometry:
            session.screen = screen_geometry
            session.save(update_fields=["screen"])
        if assignment.status == Assignment.Status.PENDING:
            assignment.status = Assignment.Status.IN_PROGRESS
            assignment.save(update_fields=["status"])
    return session


def labels_clean(labels: Any) -> dict[str, str]:
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
    *,
    session: ReadingSession,
    reader: User,
    findings: str,
    impression: str,
    labels: dict[str, str],
    sentences: list[dict[str, Any]] | None = None,
    sentence_stream: str = "",
) -> Report:
    """Store the reader's report, close the session and queue the gaze analysis and the model's prediction.

    Refusals (another reader's session, a second submit, a closed session, bad labels or spans, a due
    recalibration) are audited with what was sent. In a second-read arm this is the first read: see
    :func:`readingroom.reading.study_reading.first_read_submit`.
    """
    content = {"findings": findings, "impression": impression, "labels": labels}
    with audited_refusal(
        actor=reader, action="report.submit", target=f"session:{session.pk}", content=content
    ):
        submit_refusal_check(session=session, reader=reader)
        cleaned = labels_clean(labels)
        if not findings.strip() and not impression.strip():
            raise InvalidInput("findings or impression must not be empty")
        spans = report_sentences(session=session, findings=findings, impression=impression,
                                 sentences=sentences, stream=sentence_stream)  # fmt: skip
        tracking_required_check(session=session)
    if is_first_of_two_reads(session):
        return first_read_submit(session=session, reader=reader, findings=findings, impression=impression,
                                 labels=cleaned, sentences=spans, content=content)  # fmt: skip
    from readingroom.gaze.services import analysis_queue
    from readingroom.modeling.services import prediction_queue

    with submit_once(
        session=session, reader=reader, action="report.submit", content=content, phase=session.phase
    ):
        report = Report.objects.create(
            session=session, findings=findings, impression=impression, labels=cleaned
        )
        report_version_record(
            report=report, kind=ReportVersion.Kind.FIRST_READ, author=reader, sentences=spans
        )
        session.status = ReadingSession.Status.SUBMITTED
        session.submitted_at = timezone.now()
        session.save(update_fields=["status", "submitted_at"])
        Assignment.objects.filter(pk=session.assignment_id).update(status=Assignment.Status.DONE)
        audit_record(actor=reader, action="report.submit", target=f"session:{session.pk}")
        analysis_queue(session=session)
        if not predictions_before_submit(session):
            prediction_queue(session=session)
        results_push_on_commit(session_id=session.pk)
    return report

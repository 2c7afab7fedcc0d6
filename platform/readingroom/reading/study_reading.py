"""What a reader study adds to reading a case: who may open it and when (reassignment, washout), the
prediction computed at the start in arms that show it while reading, the two reads of a second-read arm,
and the tracker-quality requirement on submit."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from readingroom.core.exceptions import Conflict, Forbidden, InvalidInput
from readingroom.core.models import User
from readingroom.core.services import audit_record
from readingroom.reading.arms import predictions_before_submit, session_arm_mode
from readingroom.reading.events import results_push_on_commit
from readingroom.reading.models import Assignment, ReadingSession, Report, ReportVersion, StudyArm
from readingroom.reading.reports import (
    audited_refusal,
    report_sentences,
    report_version_record,
    submit_once,
    submit_refusal_check,
)
from readingroom.reading.study_selectors import reader_availability


def session_start_check(*, assignment: Assignment, reader: User) -> None:
    """Refuse to open a case that is not the reader's, already read, or not yet available (washout)."""
    if assignment.reader_id != reader.pk:
        if assignment.sessions.filter(reader=reader).exists():
            when = assignment.reassigned_at.isoformat() if assignment.reassigned_at else "since"
            raise Forbidden(
                f"assignment {assignment.pk} was reassigned to another reader ({when}); it is no longer on your "
                f"worklist. Reload the worklist"
            )
        raise Forbidden(f"assignment {assignment.pk} is on another reader's worklist")
    if assignment.status == Assignment.Status.DONE:
        raise Conflict(f"assignment {assignment.pk} has already been read")
    availability = reader_availability(project=assignment.project, reader_id=reader.pk).get(assignment.pk)
    if availability is not None and not availability.available:
        raise Conflict(f"assignment {assignment.pk} cannot be opened yet: {availability.reason}")


def session_started(*, session: ReadingSession) -> None:
    """A new session in an arm that shows the model while reading: compute the prediction now."""
    if predictions_before_submit(session):
        from readingroom.modeling.services import prediction_queue

        prediction_queue(session=session)


def is_first_of_two_reads(session: ReadingSession) -> bool:
    return (
        session_arm_mode(session) == StudyArm.Mode.SECOND_READ
        and session.phase == ReadingSession.Phase.FIRST_READ
    )


def tracking_required_check(*, session: ReadingSession) -> None:
    """In a study that requires calibration, refuse a submit while recalibration or a drift check is due."""
    if not session.assignment.project.require_calibration:
        return
    from readingroom.gaze.quality import tracking_status

    status = tracking_status(session=session)
    if status["state"] != "ok":
        raise Conflict(f"recalibration is due before this report can be submitted: {status['reason']}")


def first_read_submit(
    *, session: ReadingSession, reader: User, findings: str, impression: str, labels: dict[str, str],
    sentences: list[dict[str, Any]], content: dict[str, Any],
) -> Report:  # fmt: skip
    """The first read of a second-read arm: kept as version 1; the session stays open for the second read,
    and the model's predictions become visible (pushed on the session's socket once committed)."""
    with submit_once(session=session, reader=reader, action="report.submit", content=content,
                     phase=ReadingSession.Phase.FIRST_READ):  # fmt: skip
        report = Report.objects.create(
            session=session, findings=findings, impression=impression, labels=labels
        )
        report_version_record(
            report=report, kind=ReportVersion.Kind.FIRST_READ, author=reader, sentences=sentences
        )
        session.phase = ReadingSession.Phase.SECOND_READ
        session.save(update_fields=["phase"])
        audit_record(actor=reader, action="report.first_read", target=f"session:{session.pk}")
        results_push_on_commit(session_id=session.pk)
    return report


def second_read_submit(
    *, session: ReadingSession, reader: User, findings: str, impression: str, labels: dict[str, str],
    sentences: list[dict[str, Any]] | None = None, sentence_stream: str = "",
) -> ReportVersion:  # fmt: skip
    """The second read, with the predictions seen: a new version of the report; the session is submitted."""
    from readingroom.gaze.services import analysis_queue
    from readingroom.reading.services import labels_clean

    content = {"findings": findings, "impression": impression, "labels": labels}
    with audited_refusal(
        actor=reader, action="report.second_read", target=f"session:{session.pk}", content=content
    ):
        if session.reader_id != reader.pk:
            raise Forbidden(f"reading session {session.pk} belongs to another reader")
        if session.status != ReadingSession.Status.OPEN:
            submit_refusal_check(session=session, reader=reader)
        if session.phase != ReadingSession.Phase.SECOND_READ:
            if session_arm_mode(session) != StudyArm.Mode.SECOND_READ:
                raise Conflict(
                    f"session {session.pk} is not in a second-read arm; submit with POST /api/sessions/{session.pk}/report/"
                )
            raise Conflict(
                f"session {session.pk} has no first read yet: submit the first read with POST /api/sessions/{session.pk}/report/"
            )
        if not findings.strip() and not impression.strip():
            raise InvalidInput("findings or impression must not be empty")
        cleaned = labels_clean(labels)
        spans = report_sentences(session=session, findings=findings, impression=impression,
                                 sentences=sentences, stream=sentence_stream)  # fmt: skip
        tracking_required_check(session=session)
    with submit_once(session=session, reader=reader, action="report.second_read", content=content,
                     phase=ReadingSession.Phase.SECOND_READ):  # fmt: skip
        report = Report.objects.get(session=session)
        report.findings, report.impression, report.labels = findings, impression, cleaned
        report.save(update_fields=["findings", "impression", "labels"])
        version = report_version_record(report=report, kind=ReportVersion.Kind.SECOND_READ, author=reader,
                                        sentences=spans)  # fmt: skip
        session.status = ReadingSession.Status.SUBMITTED
        session.submitted_at = timezone.now()
        session.save(update_fields=["status", "submitted_at"])
        Assignment.objects.filter(pk=session.assignment_id).update(status=Assignment.Status.DONE)
        audit_record(actor=reader, action="report.submit", target=f"session:{session.pk}")
        analysis_queue(session=session)
        results_push_on_commit(session_id=session.pk)
    return version

"""What a reader may see of the model while reading, by study arm (the blinding rules in one place).

- A plain project (no arm): the model's predictions once the report is submitted (the reading room's
  results panel).
- ``unaided``: never, for the whole study.
- ``ai_assisted``: from the start of the read.
- ``second_read``: after the first read is submitted (the session's phase is then ``second_read``).

Other readers' reports, gaze and the reference standard are never shown to a reader: every reading
endpoint looks sessions up through :func:`readingroom.reading.selectors.session_for_reader`, and the
WebSocket group of a session admits only its own reader (or its capture token).
"""

from __future__ import annotations

from readingroom.reading.models import ReadingSession, StudyArm


def session_arm_mode(session: ReadingSession) -> str | None:
    """The arm mode of the session's assignment, or None for a plain project."""
    arm = session.assignment.arm
    return arm.mode if arm is not None else None


def predictions_visible(session: ReadingSession) -> bool:
    """Whether the session's reader may see the model's predictions now."""
    mode = session_arm_mode(session)
    if mode is None:
        return session.status == ReadingSession.Status.SUBMITTED
    if mode == StudyArm.Mode.AI_ASSISTED:
        return True
    if mode == StudyArm.Mode.SECOND_READ:
        return (
            session.phase == ReadingSession.Phase.SECOND_READ
            or session.status == ReadingSession.Status.SUBMITTED
        )
    return False


def predictions_hidden_reason(session: ReadingSession) -> str:
    """Why the predictions are hidden (for the API's message); empty when they are visible."""
    if predictions_visible(session):
        return ""
    mode = session_arm_mode(session)
    if mode == StudyArm.Mode.UNAIDED:
        return "this is an unaided arm: the model's predictions are not shown"
    if mode == StudyArm.Mode.SECOND_READ:
        return "the model's predictions are shown after the first read is submitted"
    return "the model's predictions are shown after the report is submitted"


def predictions_before_submit(session: ReadingSession) -> bool:
    """Whether the arm needs the prediction before the (final) submit, so it is computed when the read starts."""
    return session_arm_mode(session) in {StudyArm.Mode.AI_ASSISTED, StudyArm.Mode.SECOND_READ}

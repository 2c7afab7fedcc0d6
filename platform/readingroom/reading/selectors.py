"""Read-only queries of the reading app."""

from __future__ import annotations

from django.db.models import QuerySet

from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.models import User
from readingroom.core.tokens import gaze_scope, token_check, token_find
from readingroom.reading.models import Assignment, ReadingSession


def worklist_for(*, reader: User) -> QuerySet[Assignment]:
    """The reader's assignments, in reading order, with their studies and images prefetched."""
    return (
        Assignment.objects.filter(reader=reader)
        .select_related("project", "study")
        .prefetch_related("study__images")
        .order_by("project_id", "order", "id")
    )


def session_for_reader(*, session_id: int, reader: User) -> ReadingSession:
    """The reader's own session; :class:`NotFound` or :class:`Forbidden` otherwise."""
    session = ReadingSession.objects.select_related("assignment__study").filter(pk=session_id).first()
    if session is None:
        raise NotFound(f"reading session {session_id} does not exist")
    if session.reader_id != reader.pk:
        raise Forbidden(f"reading session {session_id} belongs to another reader")
    return session


# Roles that see every study; readers see only the studies on their worklist.
ALL_STUDIES_ROLES: tuple[str, ...] = ("lead", "curator", "engineer", "admin")


def user_sees_all_studies(*, user: User) -> bool:
    return any(user.has_role(role) for role in ALL_STUDIES_ROLES)


def user_can_view_study(*, user: User, study_id: int) -> bool:
    """Readers see the studies on their worklist; leads, curators, engineers and admins see all."""
    if user_sees_all_studies(user=user):
        return True
    return Assignment.objects.filter(reader=user, study_id=study_id).exists()


def session_for_sender(*, session_id: int, user: User | None, capture_token: str) -> ReadingSession:
    """The session, for its own reader or a holder of its capture token or of an API token scoped
    ``gaze:write:<session_id>`` (a bridge); refused otherwise."""
    import secrets

    api_token = token_find(capture_token) if capture_token else None
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound(f"reading session {session_id} does not exist")
    if api_token is not None:
        token_check(api_token, scope=gaze_scope(session_id))
        return session
    if capture_token and secrets.compare_digest(capture_token, session.capture_token):
        return session
    if user is not None and user.is_authenticated:
        if session.reader_id == user.pk:
            return session
        raise Forbidden(f"reading session {session_id} belongs to another reader")
    raise Forbidden("not authenticated: log in, or send the session's capture token (X-Capture-Token)")


# Roles that see every session's results unmasked (a study's lead is not blinded).
RESULT_VIEWER_ROLES: tuple[str, ...] = ("lead", "admin")


def session_for_viewer(*, session_id: int, user: User) -> tuple[ReadingSession, bool]:
    """A session whose results ``user`` may see, and whether the arm's masking applies.

    The session's own reader sees it masked by the arm (even if they are also a lead); a lead or an
    administrator sees any session unmasked; anyone else is refused.
    """
    session = ReadingSession.objects.select_related("assignment__arm").filter(pk=session_id).first()
    if session is None:
        raise NotFound(f"reading session {session_id} does not exist")
    if session.reader_id == user.pk:
        return session, True
    if any(user.has_role(role) for role in RESULT_VIEWER_ROLES):
        return session, False
    raise Forbidden(f"reading session {session_id} belongs to another reader")

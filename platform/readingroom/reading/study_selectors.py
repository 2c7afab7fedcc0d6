"""Reads of reader studies: which cases a reader may open now (arms in order, washout), and progress."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, QuerySet
from django.utils import timezone

from readingroom.core.exceptions import NotFound
from readingroom.core.models import User
from readingroom.reading.models import Assignment, ReadingProject, ReadingSession, StudyArm, StudyReader


@dataclass(frozen=True)
class Availability:
    """Whether an assignment may be opened now; if not, from when (None: after earlier work) and why."""

    available: bool
    available_from: datetime | None
    reason: str


_OPEN = Availability(True, None, "")


def studies_list() -> QuerySet[ReadingProject]:
    return ReadingProject.objects.prefetch_related("arms", "study_readers__reader").order_by("-created_at")


def study_get(*, project_id: int) -> ReadingProject:
    project = studies_list().filter(pk=project_id).first()
    if project is None:
        raise NotFound(f"reader study {project_id} does not exist")
    return project


def _arm_sequence(project: ReadingProject, reader_id: int, arms: list[StudyArm]) -> list[int]:
    member = StudyReader.objects.filter(project=project, reader_id=reader_id).first()
    if member is not None and member.arm_order:
        return list(member.arm_order)
    return [arm.pk for arm in sorted(arms, key=lambda a: a.position)]


def _last_reads(project: ReadingProject, reader_id: int) -> dict[int, datetime]:
    rows = (
        ReadingSession.objects.filter(
            assignment__project=project, reader_id=reader_id, status=ReadingSession.Status.SUBMITTED
        )
        .values("assignment__arm_id")
        .annotate(last=Max("submitted_at"))
    )
    return {row["assignment__arm_id"]: row["last"] for row in rows}


def reader_availability(
    *, project: ReadingProject, reader_id: int, now: datetime | None = None
) -> dict[int, Availability]:
    """Availability of each of a reader's assignments in one project, by assignment id.

    Arms are read in the reader's arm order. The cases of an arm open once every case of the arm before it
    is read and ``washout_days`` have passed since the last of those reads.
    """
    now = now or timezone.now()
    assignments = list(Assignment.objects.filter(project=project, reader_id=reader_id))
    if project.status == ReadingProject.Status.CLOSED:
        closed = Availability(False, None, f"the reader study {project.name!r} is closed")
        return {a.pk: closed for a in assignments}
    if project.status == ReadingProject.Status.DRAFT:
        draft = Availability(False, None, f"the reader study {project.name!r} has not started")
        return {a.pk: draft for a in assignments}
    arms = {arm.pk: arm for arm in project.arms.all()}
    if not arms:
        return {a.pk: _OPEN for a in assignments}
    sequence = _arm_sequence(project, reader_id, list(arms.values()))
    by_arm: dict[int | None, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_arm[a.arm_id].append(a)
    last = _last_reads(project, reader_id)
    result: dict[int, Availability] = {}
    state = _OPEN
    previous: StudyArm | None = None
    for arm_id in sequence:
        if previous is not None and state.available:
            unread = [a for a in by_arm[previous.pk] if a.status != Assignment.Status.DONE]
            if unread:
                state = Availability(
                    False, None, f"finish the {len(unread)} case(s) left in arm {previous.name!r} first"
                )
            elif last.get(previous.pk) is not None and project.washout_days > 0:
                opens = last[previous.pk] + timedelta(days=project.washout_days)
                if now < opens:
                    state = Availability(
                        False, opens,
                        f"washout: arm {arms[arm_id].name!r} opens {project.washout_days:g} day(s) after your last "
                        f"read in arm {previous.name!r}, at {opens.isoformat()}",
                    )  # fmt: skip
        for a in by_arm[arm_id]:
            result[a.pk] = state
        previous = arms[arm_id]
    for a in assignments:
        result.setdefault(a.pk, _OPEN)
    return result


def worklist_availability(*, assignments: list[Assignment], reader: User) -> dict[int, Availability]:
    """Availability of every assignment on a reader's worklist (one pass per project)."""
    projects = {a.project_id: a.project for a in assignments}
    result: dict[int, Availability] = {}
    for project in projects.values():
        result.update(reader_availability(project=project, reader_id=reader.pk))
    return result


def study_progress(*, project: ReadingProject, now: datetime | None = None) -> list[dict]:
    """Per reader and arm: cases done, in progress and pending, the last read, and when the arm opens."""
    now = now or timezone.now()
    arms = list(project.arms.order_by("position"))
    counts: dict[tuple[int, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in Assignment.objects.filter(project=project).values("reader_id", "arm_id", "status"):
        counts[(row["reader_id"], row["arm_id"])][row["status"]] += 1
    members = list(project.study_readers.select_related("reader"))
    out = []
    for member in members:
        availability = reader_availability(project=project, reader_id=member.reader_id, now=now)
        first_by_arm = {}
        for a in Assignment.objects.filter(project=project, reader_id=member.reader_id).order_by("order"):
            first_by_arm.setdefault(a.arm_id, availability.get(a.pk, _OPEN))
        last = _last_reads(project, member.reader_id)
        order = {arm_id: i for i, arm_id in enumerate(member.arm_order)}
        arm_rows = []
        for arm in sorted(arms, key=lambda a: order.get(a.pk, a.position)):
            c = counts[(member.reader_id, arm.pk)]
            state = first_by_arm.get(arm.pk, _OPEN)
            arm_rows.append({
                "arm_id": arm.pk, "name": arm.name, "mode": arm.mode,
                "total": sum(c.values()), "done": c[Assignment.Status.DONE],
                "in_progress": c[Assignment.Status.IN_PROGRESS], "pending": c[Assignment.Status.PENDING],
                "last_read_at": last.get(arm.pk), "available": state.available,
                "available_from": state.available_from, "blocked_reason": state.reason,
            })  # fmt: skip
        out.append({
            "reader_id": member.reader_id, "username": member.reader.username,
            "total": sum(r["total"] for r in arm_rows), "done": sum(r["done"] for r in arm_rows),
            "arms": arm_rows,
        })  # fmt: skip
    return out


def study_readings(*, project: ReadingProject) -> list[dict]:
    """Every submitted read of a study, for its lead: reader, arm, case, the first and the final labels,
    and the model's probabilities (the lead is not blinded)."""
    from readingroom.modeling.models import Prediction

    sessions = (
        ReadingSession.objects.filter(assignment__project=project, status=ReadingSession.Status.SUBMITTED)
        .select_related("reader", "assignment__arm", "report")
        .prefetch_related("report__versions")
        .order_by("reader__username", "assignment__order")
    )
    predictions = dict(
        Prediction.objects.filter(session__in=sessions, status=Prediction.Status.DONE).values_list(
            "session_id", "probabilities"
        )
    )
    rows = []
    for session in sessions:
        versions = sorted(session.report.versions.all(), key=lambda v: v.number)
        arm = session.assignment.arm
        rows.append({
            "session_id": session.pk, "reader_id": session.reader_id, "username": session.reader.username,
            "arm_id": arm.pk if arm else None, "arm": arm.name if arm else "", "mode": arm.mode if arm else None,
            "study_id": session.assignment.study_id, "submitted_at": session.submitted_at,
            "first_labels": versions[0].labels if versions else session.report.labels,
            "final_labels": session.report.labels, "versions": len(versions),
            "probabilities": predictions.get(session.pk),
        })  # fmt: skip
    return rows

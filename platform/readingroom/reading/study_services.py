"""Reader studies: set-up by a study lead, start (cases, arms, randomised order per reader), reassignment.

Case order: each reader gets a seed derived from the study's stored seed (:func:`reader_seed`), and within
each arm the cases are sorted by the SHA-256 of ``"{reader_seed}:{arm_position}:{study_id}"``
(:func:`case_order`): a uniformly random permutation that anyone can recompute from the seed, in any
language, without depending on a random number generator's version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from readingroom.core.exceptions import Conflict, InvalidInput, NotFound
from readingroom.core.models import Role, User
from readingroom.core.services import audit_record
from readingroom.curation.models import Dataset, DatasetItem, DatasetVersion
from readingroom.reading.models import Assignment, ReadingProject, ReadingSession, StudyArm, StudyReader

_SPLITS = ("", "train", "val", "test")


def reader_seed(*, study_seed: int, reader_id: int) -> int:
    """The seed of one reader's case orders, derived from the study's seed (63-bit, non-negative)."""
    digest = hashlib.sha256(f"{study_seed}:{reader_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def case_order(*, seed: int, arm_position: int, study_ids: Sequence[int]) -> list[int]:
    """The reading order of ``study_ids`` for one reader and arm: sorted by a keyed SHA-256.

    >>> case_order(seed=7, arm_position=0, study_ids=[1, 2, 3]) == case_order(seed=7, arm_position=0, study_ids=[3, 2, 1])
    True
    """

    def key(study_id: int) -> bytes:
        return hashlib.sha256(f"{seed}:{arm_position}:{study_id}".encode()).digest()

    return sorted(study_ids, key=key)


def _project(project_id: int) -> ReadingProject:
    project = ReadingProject.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(f"reader study {project_id} does not exist")
    return project


def readers_check(reader_ids: Sequence[int]) -> list[User]:
    """The users of ``reader_ids`` in that order; :class:`InvalidInput` naming ``reader_ids`` when one is
    listed twice, does not exist or does not hold the reader role."""
    if len(set(reader_ids)) != len(reader_ids):
        raise InvalidInput("reader_ids: a reader is listed twice")
    users = {u.pk: u for u in User.objects.filter(pk__in=reader_ids)}
    missing = [str(i) for i in reader_ids if i not in users]
    if missing:
        raise InvalidInput(f"reader_ids: no user with id {', '.join(missing)}")
    not_readers = [users[i].username for i in reader_ids if not users[i].has_role(Role.READER)]
    if not_readers:
        raise InvalidInput(f"reader_ids: {', '.join(not_readers)} do(es) not hold the reader role")
    return [users[i] for i in reader_ids]


def _clean_arms(arms: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    if not arms:
        raise InvalidInput("arms: a reader study needs at least one arm")
    names = [str(arm.get("name", "")).strip() for arm in arms]
    for index, (name, arm) in enumerate(zip(names, arms, strict=True)):
        if not name:
            raise InvalidInput(f"arms[{index}].name must not be empty")
        if arm.get("mode") not in StudyArm.Mode.values:
            raise InvalidInput(
                f"arms[{index}].mode must be one of {', '.join(StudyArm.Mode.values)}, got {arm.get('mode')!r}"
            )
    if len(set(names)) != len(names):
        raise InvalidInput("arms: two arms have the same name")
    return [{"name": name, "mode": arm["mode"]} for name, arm in zip(names, arms, strict=True)]


def _dataset_refs(
    dataset_id: int | None, dataset_version_id: int | None
) -> tuple[Dataset | None, DatasetVersion | None]:
    version = None
    if dataset_version_id is not None:
        version = DatasetVersion.objects.select_related("dataset").filter(pk=dataset_version_id).first()
        if version is None:
            raise InvalidInput(f"dataset_version_id: no dataset version {dataset_version_id}")
    dataset = None
    if dataset_id is not None:
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None:
            raise InvalidInput(f"dataset_id: no dataset {dataset_id}")
    if version is not None:
        if dataset is not None and version.dataset_id != dataset.pk:
            raise InvalidInput(
                f"dataset_version_id {version.pk} is a version of dataset {version.dataset.name!r}, not of "
                f"{dataset.name!r}"
            )
        dataset = version.dataset
    return dataset, version


def _set_arms_and_readers(
    project: ReadingProject, arms: Sequence[dict[str, Any]] | None, reader_ids: Sequence[int] | None
) -> None:
    if arms is not None:
        cleaned = _clean_arms(arms)
        project.arms.all().delete()
        StudyArm.objects.bulk_create(
            StudyArm(project=project, name=a["name"], mode=a["mode"], position=i)
            for i, a in enumerate(cleaned)
        )
    if reader_ids is not None:
        readers = readers_check(reader_ids)
        project.study_readers.all().delete()
        StudyReader.objects.bulk_create(
            StudyReader(project=project, reader=r, position=i) for i, r in enumerate(readers)
        )


_SETTINGS = ("description", "split", "seed", "washout_days", "counterbalance", "require_calibration")


def _apply_settings(project: ReadingProject, values: dict[str, Any]) -> None:
    if values.get("split", "") not in _SPLITS:
        raise InvalidInput(f"split must be one of train, val, test or empty, got {values['split']!r}")
    if values.get("washout_days", 0) < 0:
        raise InvalidInput(f"washout_days must be >= 0, got {values['washout_days']!r}")
    for key in _SETTINGS:
        if key in values and values[key] is not None:
            setattr(project, key, values[key])


def study_create(
    *,
    lead: User,
    name: str,
    arms: Sequence[dict[str, Any]],
    reader_ids: Sequence[int],
    dataset_id: int | None = None,
    dataset_version_id: int | None = None,
    **values: Any,
) -> ReadingProject:
    """Create a reader study as a draft (nothing is on any worklist until :func:`study_start`)."""
    if ReadingProject.objects.filter(name=name).exists():
        raise Conflict(f"a reading project named {name!r} already exists")
    dataset, version = _dataset_refs(dataset_id, dataset_version_id)
    project = ReadingProject(
        name=name,
        status=ReadingProject.Status.DRAFT,
        dataset=dataset,
        dataset_version=version,
        created_by=lead,
    )
    _apply_settings(project, values)
    with transaction.atomic():
        project.save()
        _set_arms_and_readers(project, arms, reader_ids)
        audit_record(actor=lead, action="study.create", target=f"project:{project.pk}")
    return project


def study_update(
    *,
    project_id: int,
    lead: User,
    arms: Sequence[dict[str, Any]] | None = None,
    reader_ids: Sequence[int] | None = None,
    **values: Any,
) -> ReadingProject:
    """Change a draft study's settings, dataset, arms or readers (a started study cannot change)."""
    project = _project(project_id)
    if project.status != ReadingProject.Status.DRAFT:
        raise Conflict(
            f"reader study {project.name!r} has started ({project.status}); it can no longer change"
        )
    if "dataset_id" in values or "dataset_version_id" in values:
        project.dataset, project.dataset_version = _dataset_refs(
            values.pop("dataset_id", project.dataset_id),
            values.pop("dataset_version_id", project.dataset_version_id),
        )
    if values.get("name") and values["name"] != project.name:
        if ReadingProject.objects.filter(name=values["name"]).exists():
            raise Conflict(f"a reading project named {values['name']!r} already exists")
        project.name = values["name"]
    _apply_settings(project, values)
    with transaction.atomic():
        project.save()
        _set_arms_and_readers(project, arms, reader_ids)
        audit_record(actor=lead, action="study.update", target=f"project:{project.pk}")
    return project


def _case_study_ids(project: ReadingProject) -> list[int]:
    items = DatasetItem.objects.filter(version=project.dataset_version)
    if project.split:
        items = items.filter(split=project.split)
    return sorted(set(items.values_list("image__study_id", flat=True)))


def study_refusal(*, lead: User | None, project: ReadingProject, action: str, reason: str) -> None:
    """Record a refused set-up action in the audit log (the refusal itself is raised by the caller)."""
    audit_record(
        actor=lead, action=f"{action}.refused", target=f"project:{project.pk}", detail={"reason": reason}
    )


def study_start(*, project_id: int, lead: User) -> ReadingProject:
    """Start a draft study: every case of the frozen dataset version on every reader's worklist, per arm.

    Raises :class:`InvalidInput` (400) when the study has no frozen dataset version, no cases, no arms or no
    readers, and :class:`Conflict` (409) when it has already started. Refusals are audited.
    """
    project = _project(project_id)
    try:
        return _start(project, lead)
    except (InvalidInput, Conflict) as exc:
        study_refusal(lead=lead, project=project, action="study.start", reason=str(exc))
        raise


def _start(project: ReadingProject, lead: User) -> ReadingProject:
    if project.status != ReadingProject.Status.DRAFT:
        raise Conflict(f"reader study {project.name!r} has already been started ({project.status})")
    version = project.dataset_version
    if version is None or getattr(version, "frozen_at", None) is None:
        dataset = f" of dataset {project.dataset.name!r}" if project.dataset else ""
        raise InvalidInput(
            f"reader study {project.name!r} cannot start: its dataset version is not frozen. Freeze a version"
            f"{dataset} (POST /api/datasets/<id>/versions/) and set it as the study's dataset_version_id"
        )
    arms = list(project.arms.order_by("position"))
    readers = list(project.study_readers.select_related("reader"))
    if not arms:
        raise InvalidInput(f"reader study {project.name!r} cannot start: it has no arms")
    if not readers:
        raise InvalidInput(f"reader study {project.name!r} cannot start: it has no readers")
    study_ids = _case_study_ids(project)
    if not study_ids:
        split = f" in split {project.split!r}" if project.split else ""
        raise InvalidInput(
            f"reader study {project.name!r} cannot start: dataset version {version} has no cases{split}"
        )
    rows = []
    for index, member in enumerate(readers):
        member.seed = reader_seed(study_seed=project.seed, reader_id=member.reader_id)
        shift = index % len(arms) if project.counterbalance else 0
        ordered_arms = arms[shift:] + arms[:shift]
        member.arm_order = [arm.pk for arm in ordered_arms]
        for k, arm in enumerate(ordered_arms):
            for j, study_id in enumerate(
                case_order(seed=member.seed, arm_position=arm.position, study_ids=study_ids)
            ):
                rows.append(
                    Assignment(project=project, reader_id=member.reader_id, study_id=study_id, arm=arm,
                               order=k * len(study_ids) + j)
                )  # fmt: skip
    with transaction.atomic():
        StudyReader.objects.bulk_update(readers, ["seed", "arm_order"])
        Assignment.objects.bulk_create(rows, batch_size=1000)
        project.status = ReadingProject.Status.RUNNING
        project.started_at = timezone.now()
        project.save(update_fields=["status", "started_at"])
        audit_record(
            actor=lead, action="study.start", target=f"project:{project.pk}",
            detail={"cases": len(study_ids), "readers": len(readers), "arms": len(arms)},
        )  # fmt: skip
    return project


def study_close(*, project_id: int, lead: User) -> ReadingProject:
    """Close a running study: its assignments leave the worklists' available cases."""
    project = _project(project_id)
    if project.status != ReadingProject.Status.RUNNING:
        raise Conflict(f"reader study {project.name!r} is not running ({project.status})")
    project.status = ReadingProject.Status.CLOSED
    project.closed_at = timezone.now()
    project.save(update_fields=["status", "closed_at"])
    audit_record(actor=lead, action="study.close", target=f"project:{project.pk}")
    return project


def assignment_reassign(*, assignment_id: int, lead: User, reader_id: int) -> Assignment:
    """Move a case that has not been read to another reader's worklist.

    The old reader's open session on it is closed as ``abandoned`` (its gaze is kept); their page then gets
    a clear refusal (see :func:`readingroom.reading.services.session_start` and ``report_submit``).
    """
    assignment = Assignment.objects.select_related("project").filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} does not exist")
    (new_reader,) = readers_check([reader_id])
    if assignment.status == Assignment.Status.DONE:
        raise Conflict(f"assignment {assignment_id} has already been read; it cannot be reassigned")
    if new_reader.pk == assignment.reader_id:
        raise InvalidInput(f"assignment {assignment_id} is already on {new_reader.username}'s worklist")
    now = timezone.now()
    old_reader_id = assignment.reader_id
    try:
        with transaction.atomic():
            closed = ReadingSession.objects.filter(
                assignment=assignment, status=ReadingSession.Status.OPEN
            ).update(
                status=ReadingSession.Status.ABANDONED,
                closed_reason=f"the case was reassigned to another reader at {now.isoformat()}",
            )
            assignment.reader = new_reader
            assignment.status = Assignment.Status.PENDING
            assignment.reassigned_at = now
            assignment.save(update_fields=["reader", "status", "reassigned_at"])
            if assignment.arm_id is not None:
                _study_reader_for(assignment.project, new_reader, like_reader_id=old_reader_id)
            audit_record(
                actor=lead, action="assignment.reassign", target=f"assignment:{assignment.pk}",
                detail={"from_reader": old_reader_id, "to_reader": new_reader.pk, "sessions_closed": closed},
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(
            f"{new_reader.username} already has this case in this arm of {assignment.project.name!r}"
        ) from exc
    return assignment


def _study_reader_for(project: ReadingProject, reader: User, *, like_reader_id: int) -> None:
    """Make ``reader`` a reader of the study (with the arm order of the reader they replace)."""
    if project.study_readers.filter(reader=reader).exists():
        return
    like = project.study_readers.filter(reader_id=like_reader_id).first()
    StudyReader.objects.create(
        project=project, reader=reader, position=project.study_readers.count(),
        seed=reader_seed(study_seed=project.seed, reader_id=reader.pk), arm_order=like.arm_order if like else [],
    )  # fmt: skip

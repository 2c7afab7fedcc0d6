"""Active learning through the platform itself, with a simulated reader: SYNTHETIC phantoms imported as
studies, a reading project with a learning loop, rounds that assign, reports submitted with the true labels,
retraining, evaluation on held-out phantoms and promotion through the registry."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from django.utils import timezone
from PIL import Image as PILImage

from readingroom.learning.models import LearningLoop
from readingroom.learning.services import round_finish, round_start
from readingroom.learning.simulation import SimulationSettings, arm_parts, gaze_map

_STATE_NAMES = {1: "present", 0: "absent", -1: "uncertain", -2: "not_mentioned"}


def phantoms_import(pool: list) -> list:
    """Import phantom samples as PNG studies (idempotent: an image already imported is reused)."""
    from readingroom.studies.services import image_import_bitmap

    images = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample in pool:
            path = Path(tmp) / f"{sample.image_id}.png"
            PILImage.fromarray(np.round(sample.image * 255).astype(np.uint8)).save(path)
            meta = {"patient_id": sample.study_id, "study_id": sample.study_id, "modality": "CR",
                    "view_position": sample.view_position, "dataset_image_id": sample.image_id}  # fmt: skip
            images.append(image_import_bitmap(path=path, metadata=meta).image)
    return images


def simulated_read(*, rnd, reader, samples_by_image: dict) -> int:
    """The simulated reader reads the round's selection: true labels and findings of each phantom."""
    from cogaze.labels import OBSERVATIONS
    from readingroom.reading.models import Assignment
    from readingroom.reading.services import report_submit, session_start

    done = 0
    for item in rnd.selected:
        assignment = Assignment.objects.get(project=rnd.loop.project, reader=reader, study_id=item["study"])
        sample = samples_by_image[item["image"]]
        session = session_start(assignment_id=assignment.pk, reader=reader)
        labels = {name: _STATE_NAMES[int(v)] for name, v in zip(OBSERVATIONS, sample.labels, strict=True)}
        report_submit(session=session, reader=reader, findings=sample.findings, impression="", labels=labels)
        done += 1
    return done


def platform_simulation(
    *, arm: str, settings: SimulationSettings, pool: list, project_name: str = ""
) -> list[str]:
    """Run ``settings.rounds`` rounds end to end; returns one line per round. The first round has no model
    yet, so it selects at random (the initial reads)."""
    from readingroom.core.services import user_create
    from readingroom.reading.models import ReadingProject

    method, strategy = arm_parts(arm)
    images = phantoms_import(pool)
    samples_by_image = {img.pk: s for img, s in zip(images, pool, strict=True)}
    gaze = {img.pk: gaze_map(s) for img, s in zip(images, pool, strict=True)}
    reader = user_create(username="simulated-reader", password=None, roles=["reader"])
    name = project_name or f"Active learning simulation ({arm}, {timezone.now():%Y-%m-%d %H:%M:%S})"
    project = ReadingProject.objects.create(
        name=name, description="SYNTHETIC phantoms read by a simulated reader"
    )
    loop = LearningLoop.objects.create(
        project=project, scoring=method or "", strategy=strategy, per_round=settings.per_round,
        heldout_phantoms=settings.heldout, config_name=settings.config_name, train_steps=settings.steps,
        plateau_rounds=0,
    )  # fmt: skip
    loop.pool.set(images)
    loop.readers.set([reader])
    lines = []
    for _ in range(settings.rounds):
        rnd = round_start(loop=loop, gaze_for=lambda image: gaze.get(image.pk))
        simulated_read(rnd=rnd, reader=reader, samples_by_image=samples_by_image)
        rnd = round_finish(rnd=rnd)
        evaluation = rnd.evaluation
        lines.append(
            f"round {rnd.number} ({rnd.status}): selected {len(rnd.selected)}, {rnd.reads_at_end} reads, "
            f"held-out {rnd.heldout_value}, "
            + (
                f"promoted: {evaluation.promoted} ({evaluation.reason})"
                if evaluation
                else f"error: {rnd.error}"
            )
        )
    return lines

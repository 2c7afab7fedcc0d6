"""Reader labels for ``reader_disagreement``: what readers (elsewhere) and the curated data set already say of
each pool study, and a round that reads first the study whose labels disagree most with the model."""

from __future__ import annotations

import numpy as np
import pytest

from readingroom.curation.models import StudyLabels
from readingroom.learning.models import LearningLoop
from readingroom.learning.platform_run import phantoms_import
from readingroom.learning.selectors import studies_reader_labels
from readingroom.learning.services import round_start
from readingroom.learning.simulation import SimulationSettings, phantom_pool
from readingroom.modeling.services import image_predict, model_version_register
from readingroom.reading.models import ReadingProject
from readingroom.reading.services import project_assign, report_submit, session_start

pytestmark = pytest.mark.django_db
CARDIO, EDEMA, EFFUSION = 2, 5, 10  # indices in cogaze's observation order


def _read(study, reader, project: ReadingProject, labels: dict[str, str]) -> None:
    """A submitted read of ``study`` by ``reader`` in ``project``."""
    assignment = project_assign(project=project, reader=reader, studies=[study])[0]
    session = session_start(assignment_id=assignment.pk, reader=reader)
    report_submit(session=session, reader=reader, findings="Read.", impression="", labels=labels)


def test_labels_of_several_readers_and_the_curated_set_are_averaged(image, reader, other_reader):
    elsewhere = ReadingProject.objects.create(name="elsewhere")
    _read(
        image.study,
        reader,
        elsewhere,
        {"Cardiomegaly": "present", "Edema": "absent", "Pneumonia": "uncertain"},
    )
    _read(image.study, other_reader, elsewhere, {"Cardiomegaly": "absent", "Edema": "absent"})
    StudyLabels.objects.create(study=image.study, labels={"Cardiomegaly": "present", "Pleural Effusion": "present"},
                               source=StudyLabels.Source.LABELER)  # fmt: skip
    labels = studies_reader_labels(study_ids=[image.study_id, image.study_id + 1000])
    assert list(labels) == [image.study_id]  # a study without any label set is left out
    values = labels[image.study_id]
    assert values[CARDIO] == pytest.approx(2 / 3) and values[EDEMA] == 0.0 and values[EFFUSION] == 1.0
    assert np.isnan(values[7]) and np.isnan(values[0])  # uncertain, not mentioned: no evidence
    # the loop's own project does not count (its reads are what the round is about)
    own = studies_reader_labels(study_ids=[image.study_id], project=elsewhere)[image.study_id]
    assert own[CARDIO] == 1.0 and np.isnan(own[EDEMA])


def test_a_study_whose_labels_say_nothing_maps_to_nan(image, reader):
    _read(image.study, reader, ReadingProject.objects.create(name="elsewhere"), {"Edema": "uncertain"})
    assert np.isnan(studies_reader_labels(study_ids=[image.study_id])[image.study_id]).all()


def test_a_round_reads_first_the_study_whose_prior_labels_disagree_with_the_model(
    reader, other_reader, tiny_checkpoints
):
    from cogaze.labels import OBSERVATIONS

    version = model_version_register(
        checkpoint=tiny_checkpoints["trained"], name="m", version="1", activate=True
    )
    project = ReadingProject.objects.create(name="AL")
    loop = LearningLoop.objects.create(project=project, scoring="reader_disagreement", strategy="top_k",
                                       per_round=3, heldout_phantoms=6, plateau_rounds=0)  # fmt: skip
    images = phantoms_import(phantom_pool(SimulationSettings(pool=5, heldout=2))[0])
    loop.pool.set(images)
    loop.readers.set([reader])
    elsewhere = ReadingProject.objects.create(name="elsewhere")
    disagreeing, agreeing = images[3], images[1]
    for image, agree in ((disagreeing, False), (agreeing, True)):
        probabilities = image_predict(image=image, model_version=version, generate=False).probabilities
        labels = {
            name: "present" if (probabilities[name] >= 0.5) == agree else "absent" for name in OBSERVATIONS
        }
        _read(image.study, other_reader, elsewhere, labels)
    rnd = round_start(loop=loop)
    scores = rnd.scores
    assert scores[str(disagreeing.study_id)] > 0.5 > scores[str(agreeing.study_id)]
    unlabelled = [img for img in images if img not in (disagreeing, agreeing)]
    assert all(scores[str(img.study_id)] is None for img in unlabelled)  # nan: no evidence
    # top_k: scored studies by descending score, then the nan ones in random order (strategies.py)
    picked = [s["study"] for s in rnd.selected]
    assert picked[:2] == [disagreeing.study_id, agreeing.study_id]
    assert picked[2] in {img.study_id for img in unlabelled} and rnd.selected[2]["score"] is None

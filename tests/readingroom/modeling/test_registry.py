"""The registry per reading project: verified checkpoints, promotion through a held-out evaluation, rollback,
and one winner when promotions race."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.modeling.models import ModelChange, ModelEvaluation, ModelVersion, ProjectModel
from readingroom.modeling.registry import (
    HeldOut,
    evaluation_promote,
    evaluation_run,
    heldout_metrics,
    model_version_promote,
    model_version_verify,
    project_model_version,
    project_rollback,
)
from readingroom.modeling.services import model_version_register
from readingroom.reading.models import ReadingProject

HELDOUT = HeldOut(phantoms=12, seed=5)


@pytest.fixture
def project(db) -> ReadingProject:
    return ReadingProject.objects.create(name="AL project")


@pytest.fixture
def versions(db, tiny_checkpoints) -> tuple[ModelVersion, ModelVersion]:
    """(better, worse) on HELDOUT, learned by evaluating both."""
    a = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="a", activate=False)
    b = model_version_register(checkpoint=tiny_checkpoints["flipped"], name="m", version="b", activate=False)
    va = heldout_metrics(model_version=a, heldout=HELDOUT)["head_macro_auroc"]
    vb = heldout_metrics(model_version=b, heldout=HELDOUT)["head_macro_auroc"]
    assert va != pytest.approx(vb)
    return (a, b) if va > vb else (b, a)


def test_registration_records_hash_and_config(tiny_checkpoints, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    assert len(version.checkpoint_sha256) == 64
    assert version.config["name"] == "tiny" and version.config["vision"]["image_size"] == 64
    assert model_version_verify(model_version=version).is_file()


def test_a_changed_checkpoint_is_refused(tiny_checkpoints, settings, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    path = settings.MEDIA_ROOT / version.checkpoint
    path.write_bytes(tiny_checkpoints["flipped"].read_bytes())
    with pytest.raises(InvalidInput, match="checkpoint SHA-256 .* does not match the registered"):
        model_version_verify(model_version=version)


def test_a_checkpoint_whose_config_differs_is_refused(tiny_checkpoints, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    version.config = {**version.config, "dim": 32}
    version.save()
    with pytest.raises(InvalidInput, match="does not match its registered configuration.*dim"):
        model_version_verify(model_version=version)


def test_projects_without_a_current_version_use_the_global_active_one(project, tiny_checkpoints):
    active = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    assert project_model_version(project) == active
    assert project_model_version(None) == active


def test_first_promotion_then_a_better_one_then_rollback(project, versions):
    better, worse = versions
    first = model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    assert first.promoted and first.baseline is None and first.candidate_value is not None
    assert project_model_version(project) == worse
    second = model_version_promote(project=project, candidate=better, heldout=HELDOUT, margin=0.0)
    assert second.promoted and second.baseline == worse
    assert second.candidate_value > second.baseline_value
    assert project_model_version(project) == better
    change = project_rollback(project=project)
    assert change.kind == ModelChange.Kind.ROLLBACK and change.current == worse
    assert project_model_version(project) == worse
    with pytest.raises(Conflict, match="no previous version"):
        project_rollback(project=project)


def test_a_worse_candidate_is_stored_with_both_numbers_and_not_promoted(project, versions):
    better, worse = versions
    model_version_promote(project=project, candidate=better, heldout=HELDOUT)
    evaluation = model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    assert not evaluation.promoted and not evaluation.beats
    assert evaluation.candidate_value < evaluation.baseline_value
    assert "does not beat" in evaluation.reason
    assert project_model_version(project) == better
    with pytest.raises(Conflict, match="did not win"):
        evaluation_promote(evaluation=evaluation)


def test_margin_is_required(project, versions):
    better, worse = versions
    model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    evaluation = model_version_promote(project=project, candidate=better, heldout=HELDOUT, margin=1.0)
    assert not evaluation.promoted and evaluation.margin == 1.0
    assert ModelEvaluation.objects.filter(project=project).count() == 2


def test_bad_metric_margin_or_heldout_is_refused(project, versions):
    with pytest.raises(InvalidInput, match="metric must be one of"):
        evaluation_run(project=project, candidate=versions[0], heldout=HELDOUT, metric="accuracy")
    with pytest.raises(InvalidInput, match="margin must be"):
        evaluation_run(project=project, candidate=versions[0], heldout=HELDOUT, margin=-0.1)
    with pytest.raises(InvalidInput, match="either a frozen dataset version or a number of phantoms"):
        HeldOut()
    assert not ModelEvaluation.objects.exists()


def test_rollback_without_a_current_version_is_refused(project):
    with pytest.raises(Conflict, match="no current model version"):
        project_rollback(project=project)


def test_sequential_race_second_evaluation_is_stale(project, versions):
    """Two candidates evaluated against the same current version: the second promotion is refused."""
    better, worse = versions
    e1 = evaluation_run(project=project, candidate=better, heldout=HELDOUT)
    e2 = evaluation_run(project=project, candidate=worse, heldout=HELDOUT)
    evaluation_promote(evaluation=e1)
    with pytest.raises(Conflict, match="changed since evaluation"):
        evaluation_promote(evaluation=e2)
    with pytest.raises(Conflict, match="already promoted"):
        evaluation_promote(evaluation=e1)
    assert ProjectModel.objects.get(project=project).current == better
    assert ModelChange.objects.filter(project=project).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_promotions_racing_leave_one_winner(tiny_checkpoints):
    """Two threads, each with its own database connection, promote at once (PostgreSQL; skipped on SQLite)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    project = ReadingProject.objects.create(name="race")
    a = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="a", activate=False)
    b = model_version_register(checkpoint=tiny_checkpoints["flipped"], name="m", version="b", activate=False)
    evaluations = [evaluation_run(project=project, candidate=v, heldout=HELDOUT) for v in (a, b)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def promote(evaluation: ModelEvaluation) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            evaluation_promote(evaluation=evaluation)
            outcomes.append("won")
        except Conflict:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=promote, args=(e,)) for e in evaluations]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "won"]
    assert ModelChange.objects.filter(project=project).count() == 1
    assert ModelEvaluation.objects.filter(project=project, promoted=True).count() == 1

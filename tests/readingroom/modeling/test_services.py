"""Training, registering and running CoGaze models from the platform (tiny config, CPU)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from readingroom.core.exceptions import InvalidInput
from readingroom.modeling.models import ModelVersion, Prediction, TrainingRun
from readingroom.modeling.services import model_version_register, prediction_run, training_run_execute
from readingroom.reading.models import OBSERVATIONS
from readingroom.reading.results import session_results
from readingroom.reading.services import report_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained_version(db) -> ModelVersion:
    run = TrainingRun.objects.create(
        name="cogaze-test", config_name="tiny", data_spec="phantoms:8", max_steps=2
    )
    run = training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.DONE, run.error
    return run.model_version


def test_training_run_registers_an_active_version(trained_version, settings):
    assert trained_version.is_active
    assert (settings.MEDIA_ROOT / trained_version.checkpoint).is_file()
    assert trained_version.metrics["steps"] == 2
    assert "SYNTHETIC" in trained_version.description
    assert trained_version.config_name == "tiny"


def test_registering_a_second_version_deactivates_the_first(trained_version, settings):
    second = model_version_register(checkpoint=settings.MEDIA_ROOT / trained_version.checkpoint, name="other",
                                    version="1")  # fmt: skip
    trained_version.refresh_from_db()
    assert second.is_active and not trained_version.is_active
    with pytest.raises(InvalidInput, match="already registered"):
        model_version_register(checkpoint=settings.MEDIA_ROOT / second.checkpoint, name="other", version="1")


def test_broken_checkpoint_is_refused_with_its_name(tmp_path):
    broken = tmp_path / "checkpoint.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInput, match="checkpoint.pt: not a usable CoGaze checkpoint"):
        model_version_register(checkpoint=broken, name="x", version="1")
    with pytest.raises(CommandError, match="no such checkpoint"):
        call_command("register_model", str(tmp_path / "missing.pt"), "--name", "x", "--model-version", "1")
    assert not ModelVersion.objects.exists()


def test_unknown_data_spec_is_refused():
    with pytest.raises(CommandError, match="data_spec must be phantoms:N or export:PATH"):
        call_command("train_model", "--data", "imagenet", "--queue")


def test_prediction_with_the_active_model(trained_version, reading_session, reader, settings):
    labels = dict.fromkeys(OBSERVATIONS, "not_mentioned") | {"Cardiomegaly": "present", "Edema": "absent"}
    report_submit(session=reading_session, reader=reader, findings="Big heart.", impression="", labels=labels)
    prediction = prediction_run(session_id=reading_session.pk)
    assert prediction.status == Prediction.Status.DONE, prediction.message
    assert set(prediction.probabilities) == set(OBSERVATIONS)
    assert all(0.0 <= p <= 1.0 for p in prediction.probabilities.values())
    assert prediction.model_version == trained_version
    attention = np.load(settings.MEDIA_ROOT / f"predictions/session-{reading_session.pk}/attention.npy")
    image = reading_session.assignment.study.images.get()
    assert attention.shape == (image.rows, image.columns)
    assert attention.sum() == pytest.approx(1.0, abs=1e-4)
    payload = session_results(session=reading_session)["prediction"]
    assert payload["status"] == "done" and payload["attention_url"].endswith("/attention.png")
    assert payload["agreement"]["compared"] == 2
    assert isinstance(payload["findings"], str | type(None))


def test_missing_checkpoint_file_fails_the_prediction_with_a_reason(
    trained_version, reading_session, settings
):
    (settings.MEDIA_ROOT / trained_version.checkpoint).unlink()
    prediction = prediction_run(session_id=reading_session.pk)
    assert prediction.status == Prediction.Status.FAILED
    assert "checkpoint" in prediction.message and "missing" in prediction.message


def test_evaluation_uses_the_project_labeler_and_is_kept_with_the_version(trained_version):
    from readingroom.modeling.services import model_version_evaluate, report_label_states

    states = report_label_states("The heart is enlarged. No pleural effusion. Possible pneumothorax.")
    assert states[OBSERVATIONS.index("Cardiomegaly")] == 1
    assert states[OBSERVATIONS.index("Pleural Effusion")] == 0
    assert states[OBSERVATIONS.index("Pneumothorax")] == -1
    summary = model_version_evaluate(model_version=trained_version, data_spec="phantoms:12", max_generate=4)
    assert summary["n"] == 12
    assert "generation_label_micro_f1" in summary and "generation_bleu4" in summary
    assert "retrieval_i2t_p@1" in summary
    trained_version.refresh_from_db()
    assert trained_version.metrics["evaluation"]["n"] == 12


def test_evaluate_command_needs_a_model():
    with pytest.raises(CommandError, match="no model version"):
        call_command("evaluate_model", "--data", "phantoms:4")


def test_demo_start_replaces_a_run_left_unfinished_by_a_stopped_worker(django_capture_on_commit_callbacks):
    stale = TrainingRun.objects.create(
        name="cogaze-demo", data_spec="phantoms:8", status=TrainingRun.Status.RUNNING
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("train_model", "--name", "cogaze-demo", "--queue", "--if-no-model")
    stale.refresh_from_db()
    assert stale.status == TrainingRun.Status.FAILED and "abandoned" in stale.error
    assert TrainingRun.objects.filter(name="cogaze-demo", status=TrainingRun.Status.QUEUED).count() == 1
    assert len(callbacks) == 1  # the new run is enqueued on commit
    assert training_run_execute(run_id=stale.pk).status == TrainingRun.Status.FAILED  # not trained again


def test_demo_start_does_nothing_once_a_model_exists(trained_version):
    call_command("train_model", "--name", "cogaze-demo", "--queue", "--if-no-model")
    assert not TrainingRun.objects.filter(name="cogaze-demo").exists()


def test_disk_full_fails_the_prediction_with_the_reason(trained_version, reading_session, monkeypatch):
    import errno
    from pathlib import Path

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    prediction = prediction_run(session_id=reading_session.pk)
    assert prediction.status == Prediction.Status.FAILED  # not left pending for the reaper to retry for good
    assert "No space left on device" in prediction.message

"""Output and input shapes of the learning API (model registry, training runs, rounds, learning curve)."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.modeling.models import (
    ImagePrediction,
    InferenceJob,
    ModelChange,
    ModelEvaluation,
    ModelVersion,
    TrainingRun,
)


class ModelVersionOutput(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "name", "version", "description", "config_name", "config", "checkpoint_sha256",
                  "dataset_version", "metrics", "is_active", "created_by", "created_at"]  # fmt: skip


class ModelEvaluationOutput(serializers.ModelSerializer):
    """An evaluation; while ``status`` is queued or running, baseline, values and ``beats`` are not known yet."""

    class Meta:
        model = ModelEvaluation
        fields = ["id", "project", "candidate", "baseline", "heldout_version", "heldout_spec", "metric", "margin",
                  "status", "error", "candidate_value", "baseline_value", "beats", "promoted", "reason",
                  "created_by", "created_at", "updated_at"]  # fmt: skip


class ModelChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = ModelChange
        fields = ["id", "kind", "previous", "current", "evaluation", "created_by", "created_at"]


class ProjectModelOutput(serializers.Serializer):
    project = serializers.IntegerField()
    current = ModelVersionOutput(
        allow_null=True, help_text="the project's own, else the global active version"
    )
    own = serializers.BooleanField(help_text="false when the project falls back to the global active version")
    changes = ModelChangeOutput(many=True)


class PromoteInput(serializers.Serializer):
    candidate = serializers.IntegerField()
    heldout_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    heldout_split = serializers.CharField(required=False, allow_null=True, default=None)
    heldout_phantoms = serializers.IntegerField(required=False, min_value=0, default=0)
    metric = serializers.CharField(required=False, allow_null=True, default=None)
    margin = serializers.FloatField(required=False, allow_null=True, default=None)


class LossPoint(serializers.Serializer):
    step = serializers.IntegerField()
    loss = serializers.FloatField()


class TrainingRunOutput(serializers.ModelSerializer):
    progress = LossPoint(many=True)

    class Meta:
        model = TrainingRun
        fields = ["id", "name", "config_name", "data_spec", "dataset_version", "max_steps", "status", "error",
                  "metrics", "progress", "log", "cancel_requested", "resumes", "heartbeat_at", "model_version",
                  "created_by", "created_at", "updated_at"]  # fmt: skip


class TrainingRunInput(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    config_name = serializers.CharField(required=False, default="tiny")
    dataset_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    data_spec = serializers.CharField(
        required=False, default="phantoms:64", help_text="without dataset_version"
    )
    max_steps = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    activate = serializers.BooleanField(required=False, default=False)


class SelectedStudy(serializers.Serializer):
    study = serializers.IntegerField()
    image = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="the scoring method's value; null: no evidence")


class LearningRoundOutput(serializers.ModelSerializer):
    selected = SelectedStudy(many=True)
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="study id -> score"
    )

    class Meta:
        model = LearningRound
        fields = ["id", "loop", "number", "status", "scoring", "strategy", "model_before", "model_after",
                  "evaluation", "reads_at_start", "reads_at_end", "heldout_value", "selected", "scores", "error",
                  "created_at", "finished_at"]  # fmt: skip


class LearningLoopOutput(serializers.ModelSerializer):
    class Meta:
        model = LearningLoop
        fields = ["id", "project", "scoring", "strategy", "per_round", "heldout_version", "heldout_phantoms",
                  "config_name", "train_steps", "retrain_every", "plateau_rounds", "plateau_delta", "stopped_reason",
                  "created_at"]  # fmt: skip


class CurvePoint(serializers.Serializer):
    round = serializers.IntegerField()
    reads = serializers.IntegerField(allow_null=True)
    heldout_value = serializers.FloatField(allow_null=True)
    metric = serializers.CharField(allow_null=True)
    promoted = serializers.BooleanField()
    model_version = serializers.IntegerField(allow_null=True)


class LearningCurveOutput(serializers.Serializer):
    loop = serializers.IntegerField()
    stopped_reason = serializers.CharField(allow_blank=True)
    points = CurvePoint(many=True)


class InferenceJobInput(serializers.Serializer):
    model_version = serializers.IntegerField()
    cohort = serializers.IntegerField(required=False, allow_null=True, default=None)
    dataset_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    batch_size = serializers.IntegerField(required=False, default=16)


class InferenceJobOutput(serializers.ModelSerializer):
    class Meta:
        model = InferenceJob
        fields = ["id", "model_version", "cohort", "dataset_version", "batch_size", "status", "total", "done",
                  "failed", "error", "created_by", "created_at", "updated_at"]  # fmt: skip


class ImagePredictionOutput(serializers.ModelSerializer):
    attention_url = serializers.SerializerMethodField(help_text="the attention map, float32 .npy (H, W)")

    class Meta:
        model = ImagePrediction
        fields = ["id", "image", "model_version", "probabilities", "findings", "embedding", "attention_url",
                  "created_at"]  # fmt: skip

    def get_attention_url(self, obj: ImagePrediction) -> str:
        return f"/api/image-predictions/{obj.pk}/attention.npy"

"""Output and input shapes of the learning API (model registry, training runs, rounds, learning curve)."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.curation.models import DatasetItem
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
    project_name = serializers.CharField(source="project.name", read_only=True)
    readers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    pool_size = serializers.SerializerMethodField(help_text="studies in the pool (read or not)")

    class Meta:
        model = LearningLoop
        fields = ["id", "project", "project_name", "scoring", "strategy", "per_round", "heldout_version",
                  "heldout_phantoms", "config_name", "train_steps", "retrain_every", "plateau_rounds", "plateau_delta",
                  "stopped_reason", "readers", "pool_size", "created_at"]  # fmt: skip

    def get_pool_size(self, obj: LearningLoop) -> int:
        return obj.pool.count()


class LoopCreateInput(serializers.Serializer):
    """A new learning loop: the pool is exactly one of pool_studies, pool_cohort or pool_dataset_version; the
    held-out set one of heldout_version or heldout_phantoms."""

    project = serializers.IntegerField(help_text="the reading project (at most one loop each)")
    pool_studies = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True,
                                         default=None, help_text="study ids")  # fmt: skip
    pool_cohort = serializers.IntegerField(required=False, allow_null=True, default=None)
    pool_dataset_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    pool_split = serializers.ChoiceField(DatasetItem.Split.choices, required=False, allow_null=True, default=None,
                                         help_text="with pool_dataset_version: only this split")  # fmt: skip
    reader_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="users with the reader role"
    )
    scoring = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="a registered scoring method; empty for random")  # fmt: skip
    strategy = serializers.CharField(required=False, default="top_k")
    per_round = serializers.IntegerField(required=False, min_value=1, default=8)
    heldout_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    heldout_phantoms = serializers.IntegerField(required=False, min_value=0, default=0)
    config_name = serializers.CharField(required=False, default="tiny")
    train_steps = serializers.IntegerField(required=False, min_value=1, default=40)
    retrain_every = serializers.IntegerField(required=False, min_value=0, default=0)
    plateau_rounds = serializers.IntegerField(required=False, min_value=0, default=3)
    plateau_delta = serializers.FloatField(required=False, min_value=0.0, default=0.005)


class LearningOptionsOutput(serializers.Serializer):
    scoring = serializers.ListField(child=serializers.CharField(), help_text="registered scoring methods")
    strategies = serializers.ListField(child=serializers.CharField(), help_text="registered strategies")
    configs = serializers.ListField(child=serializers.CharField(), help_text="cogaze presets (config_name)")
    metrics = serializers.ListField(
        child=serializers.CharField(), help_text="metrics a promotion may compare"
    )


class LoopUpdateInput(serializers.Serializer):
    """What may change while a loop runs (from its next round on)."""

    scoring = serializers.CharField(required=False, allow_blank=True)
    strategy = serializers.CharField(required=False)
    per_round = serializers.IntegerField(required=False, min_value=1)
    retrain_every = serializers.IntegerField(required=False, min_value=0)


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

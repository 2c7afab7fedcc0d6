from django.contrib import admin

from readingroom.modeling.models import (
    ModelChange,
    ModelEvaluation,
    ModelVersion,
    Prediction,
    ProjectModel,
    TrainingRun,
)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "config_name", "is_active", "created_at")


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("session", "image", "model_version", "status", "updated_at")


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "config_name", "data_spec", "status", "model_version", "created_at")
    readonly_fields = ("status", "error", "metrics", "model_version")


@admin.register(ModelEvaluation)
class ModelEvaluationAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "candidate", "baseline", "metric", "status", "candidate_value",
                    "baseline_value", "promoted", "created_at")  # fmt: skip
    readonly_fields = [f.name for f in ModelEvaluation._meta.fields]


@admin.register(ProjectModel)
class ProjectModelAdmin(admin.ModelAdmin):
    list_display = ("project", "current", "updated_at")
    readonly_fields = ("project", "current")


@admin.register(ModelChange)
class ModelChangeAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "kind", "previous", "current", "created_at")
    readonly_fields = [f.name for f in ModelChange._meta.fields]

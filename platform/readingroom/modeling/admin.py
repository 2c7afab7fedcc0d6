from django.contrib import admin

from readingroom.modeling.models import ModelVersion, Prediction, TrainingRun


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

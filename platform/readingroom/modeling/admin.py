from django.contrib import admin

from readingroom.modeling.models import ModelVersion, Prediction


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "config_name", "is_active", "created_at")


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("session", "image", "model_version", "status", "updated_at")

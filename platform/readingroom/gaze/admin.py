from django.contrib import admin

from readingroom.gaze.models import Fixation, GazeAnalysis, GazeChunk, SentencePrior, TrackerCheck


@admin.register(GazeChunk)
class GazeChunkAdmin(admin.ModelAdmin):
    list_display = ("session", "seq", "device", "n_samples", "t_first_ms", "t_last_ms", "received_at")
    exclude = ("data",)


@admin.register(GazeAnalysis)
class GazeAnalysisAdmin(admin.ModelAdmin):
    list_display = ("session", "status", "detector", "sample_count", "fixation_count", "updated_at")


@admin.register(Fixation)
class FixationAdmin(admin.ModelAdmin):
    list_display = ("session", "index", "onset_ms", "duration_ms", "x_image", "y_image")


@admin.register(TrackerCheck)
class TrackerCheckAdmin(admin.ModelAdmin):
    list_display = (
        "session",
        "kind",
        "accuracy_deg",
        "precision_rms_deg",
        "data_loss_pct",
        "passed",
        "created_at",
    )
    list_filter = ("kind", "passed")


@admin.register(SentencePrior)
class SentencePriorAdmin(admin.ModelAdmin):
    list_display = ("session", "version", "index", "source", "start_ms", "end_ms", "text")

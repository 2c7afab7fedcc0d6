from django.contrib import admin

from readingroom.studies.models import Image, ImportJob, Patient, Study


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("id", "key", "sex", "created_at")


class ImageInline(admin.TabularInline):
    model = Image
    extra = 0
    fields = (
        "view_position",
        "rows",
        "columns",
        "photometric_interpretation",
        "window_center",
        "window_width",
    )
    readonly_fields = fields


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("id", "description", "modality", "patient", "created_at")
    inlines = [ImageInline]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "view_position", "rows", "columns", "photometric_interpretation",
                    "burned_in_annotation")  # fmt: skip
    list_filter = ("view_position", "modality", "burned_in_annotation")
    search_fields = ("dataset_image_id",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "total", "imported", "skipped", "failed", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("total", "imported", "skipped", "failed", "errors", "warnings", "processed_keys",
                       "message", "started_at", "finished_at")  # fmt: skip
    actions = ["resume"]

    @admin.action(description="Resume (queue) the selected import jobs")
    def resume(self, request, queryset) -> None:
        from django.db import transaction

        from readingroom.studies.tasks import run_import_job

        for job in queryset:
            transaction.on_commit(lambda pk=job.pk: run_import_job.delay(pk))

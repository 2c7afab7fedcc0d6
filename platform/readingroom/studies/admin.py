from django.contrib import admin

from readingroom.studies.models import Image, ImportJob, Patient, Study
from readingroom.studies.serializers import ImportJobOutput


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
    """Import jobs, read-only, with file names shown as the API shows them (pseudonyms).

    Jobs are started through the API (limited to ``INGEST_ALLOWED_ROOTS``) or the command line, never here:
    a job's sources and options decide what the worker reads, so the admin can neither add nor edit them.
    """

    list_display = ("id", "status", "total", "imported", "skipped", "failed", "created_at", "finished_at")
    list_filter = ("status",)
    fields = ("status", "created_by", "sources_shown", "options_shown", "total", "imported", "skipped", "failed",
              "errors_shown", "warnings_shown", "message_shown", "created_at", "started_at", "finished_at")  # fmt: skip
    readonly_fields = fields
    actions = ["resume"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="sources")
    def sources_shown(self, job: ImportJob) -> list:
        return ImportJobOutput(job).data["sources"]

    @admin.display(description="options")
    def options_shown(self, job: ImportJob) -> dict:
        return ImportJobOutput(job).data["options"]

    @admin.display(description="errors")
    def errors_shown(self, job: ImportJob) -> list:
        return ImportJobOutput(job).data["errors"]

    @admin.display(description="warnings")
    def warnings_shown(self, job: ImportJob) -> list:
        return ImportJobOutput(job).data["warnings"]

    @admin.display(description="message")
    def message_shown(self, job: ImportJob) -> str:
        return ImportJobOutput(job).data["message"]

    @admin.action(description="Resume (queue) the selected import jobs")
    def resume(self, request, queryset) -> None:
        from django.db import transaction

        from readingroom.studies.tasks import run_import_job

        for job in queryset:
            transaction.on_commit(lambda pk=job.pk: run_import_job.delay(pk))

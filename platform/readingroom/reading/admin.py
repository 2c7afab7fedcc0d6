from django.contrib import admin

from readingroom.reading.models import (
    Assignment,
    ReadingProject,
    ReadingSession,
    Report,
    ReportVersion,
    StudyArm,
    StudyReader,
    ViewEvent,
)


class StudyArmInline(admin.TabularInline):
    model = StudyArm
    extra = 0


class StudyReaderInline(admin.TabularInline):
    model = StudyReader
    extra = 0
    readonly_fields = ("seed", "arm_order")


@admin.register(ReadingProject)
class ReadingProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "dataset_version", "washout_days", "created_at")
    list_filter = ("status",)
    inlines = [StudyArmInline, StudyReaderInline]
    readonly_fields = ("started_at", "closed_at")


class ReportVersionInline(admin.TabularInline):
    model = ReportVersion
    extra = 0
    can_delete = False
    readonly_fields = ("number", "kind", "findings", "impression", "labels", "sentences", "author", "reason",
                       "created_at")  # fmt: skip

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("project", "reader", "study", "arm", "order", "status")
    list_filter = ("project", "status")


@admin.register(ReadingSession)
class ReadingSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "reader", "assignment", "status", "phase", "started_at")
    exclude = ("capture_token",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("session", "version", "submitted_at")
    inlines = [ReportVersionInline]


@admin.register(ViewEvent)
class ViewEventAdmin(admin.ModelAdmin):
    list_display = ("session", "seq", "t_ms", "image", "zoom")

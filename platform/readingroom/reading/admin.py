from django.contrib import admin

from readingroom.reading.models import Assignment, ReadingProject, ReadingSession, Report, ViewEvent


@admin.register(ReadingProject)
class ReadingProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("project", "reader", "study", "order", "status")
    list_filter = ("project", "status")


@admin.register(ReadingSession)
class ReadingSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "reader", "assignment", "status", "started_at")
    exclude = ("capture_token",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("session", "submitted_at")


@admin.register(ViewEvent)
class ViewEventAdmin(admin.ModelAdmin):
    list_display = ("session", "seq", "t_ms", "image", "zoom")

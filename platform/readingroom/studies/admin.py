from django.contrib import admin

from readingroom.studies.models import Image, Patient, Study


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
    list_display = ("id", "study", "view_position", "rows", "columns", "photometric_interpretation")

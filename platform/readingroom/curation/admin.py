from django.contrib import admin

from readingroom.curation.models import (
    Cohort,
    Dataset,
    DatasetItem,
    DatasetVersion,
    LabelEdit,
    StudyLabels,
    StudyReport,
)


@admin.register(StudyReport)
class StudyReportAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "source", "updated_at")
    search_fields = ("findings", "impression")


class LabelEditInline(admin.TabularInline):
    model = LabelEdit
    fk_name = "study"
    extra = 0
    can_delete = False
    readonly_fields = ("observation", "old_value", "new_value", "source", "edited_by", "reason", "created_at")
    fields = readonly_fields


@admin.register(StudyLabels)
class StudyLabelsAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "source", "updated_at")
    list_filter = ("source",)


@admin.register(LabelEdit)
class LabelEditAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "study",
        "observation",
        "old_value",
        "new_value",
        "source",
        "edited_by",
        "created_at",
    )
    list_filter = ("source", "observation")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # history is append-only


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "filters", "created_at")


class DatasetVersionInline(admin.TabularInline):
    model = DatasetVersion
    extra = 0
    can_delete = False
    fields = ("number", "seed", "item_count", "manifest_sha256", "frozen_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # versions are frozen through the service (the API), never typed in


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "cohort", "created_at")
    inlines = [DatasetVersionInline]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "dataset", "number", "item_count", "manifest_sha256", "frozen_at")
    readonly_fields = ("dataset", "number", "seed", "split_fractions", "filters", "manifest", "manifest_sha256",
                       "item_count", "notes", "created_by", "frozen_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DatasetItem)
class DatasetItemAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "image", "split")
    list_filter = ("split",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

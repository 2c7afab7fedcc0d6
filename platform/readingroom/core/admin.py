from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from readingroom.core.models import AuditEvent, User


@admin.register(User)
class ReadingRoomUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Roles", {"fields": ("roles",)}),)
    list_display = ("username", "roles", "is_staff", "is_superuser")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: events are appended by the platform, never added, changed or deleted here."""

    list_display = ("at", "actor_name", "action", "target")
    list_filter = ("action",)
    search_fields = ("actor_name", "action", "target")
    readonly_fields = ("at", "actor", "actor_name", "action", "target", "detail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

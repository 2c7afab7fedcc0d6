from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from readingroom.core.models import AuditEvent, User


@admin.register(User)
class ReadingRoomUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Roles", {"fields": ("roles",)}),)
    list_display = ("username", "roles", "is_staff", "is_superuser")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "target")
    list_filter = ("action",)
    readonly_fields = ("at", "actor", "action", "target", "detail")

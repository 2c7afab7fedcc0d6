"""Users with roles, and an append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    READER = "reader", "Reader"
    STUDY_LEAD = "lead", "Study lead"
    CURATOR = "curator", "Curator"
    ENGINEER = "engineer", "ML engineer"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A platform user. ``roles`` is a list of :class:`Role` values; superusers hold every role."""

    roles = models.JSONField(default=list, blank=True)

    def has_role(self, role: str) -> bool:
        return self.is_superuser or role in self.roles


class AppendOnlyError(RuntimeError):
    """An attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    """Audit events can be added and read, never updated or deleted in bulk."""

    def update(self, **kwargs):
        if kwargs == {"actor": None}:  # a user removed (on_delete=SET_NULL): actor_name keeps who it was
            return super().update(**kwargs)
        raise AppendOnlyError("the audit log is append-only: events are never updated")

    def delete(self):
        raise AppendOnlyError("the audit log is append-only: events are never deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("the audit log is append-only: events are never updated")


class AuditEvent(models.Model):
    """One thing a user (or the system) did: who viewed, changed, downloaded or exported what.

    Append-only: saving an existing event, deleting one, and the queryset's ``update``, ``delete`` and
    ``bulk_update`` raise :class:`AppendOnlyError`. ``actor_name`` keeps the user name at the time, so the
    record still says who after the user is removed (the link to the user is then emptied).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True, help_text="the actor's user name at the time")
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=128, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("the audit log is append-only: events are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only: events are never deleted")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.target}"


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it.

    Sent right after the commit and, if the broker did not answer then, by the periodic drain: a committed
    change is never left without its task. Tasks sent through the outbox must be idempotent (a message may
    be sent more than once).
    """

    task = models.CharField(max_length=200, help_text="the Celery task's name")
    args = models.JSONField(default=list, blank=True)
    key = models.CharField(max_length=255, db_index=True, help_text="task and arguments, to count resends")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.key} ({'sent' if self.sent_at else 'waiting'})"


class ApiToken(models.Model):
    """A scoped, expiring, revocable bearer token for a script or a tracker bridge.

    Only the SHA-256 digest of the token is stored (the token itself is shown once, when created);
    ``prefix`` is its first characters, to recognise it in lists. ``scopes`` lists what it may do
    (``readingroom.core.tokens.SCOPES``). A token acts as its ``user``, whose roles still apply.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="what the token is for")
    prefix = models.CharField(max_length=16, help_text="the token's first characters (not secret)")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id}: {' '.join(self.scopes)})"

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


class AuditEvent(models.Model):
    """One thing a user (or the system) did, kept for the study record. Never updated."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=128, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.target}"


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

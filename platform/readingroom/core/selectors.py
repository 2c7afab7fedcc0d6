"""Reads of the core app: the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from readingroom.core.models import AuditEvent


def audit_events(
    *, actor: str = "", action: str = "", target: str = "", limit: int = 200
) -> QuerySet[AuditEvent]:
    """The latest audit events, newest first, filtered by actor name, action (prefix) and target (exact)."""
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(actor_name=actor)
    if action:
        events = events.filter(action__startswith=action)
    if target:
        events = events.filter(target=target)
    return events.order_by("-at", "-pk")[:limit]

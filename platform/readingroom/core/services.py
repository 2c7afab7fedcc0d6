"""User and audit services."""

from __future__ import annotations

from typing import Any

from readingroom.core.models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Append one event to the audit log."""
    AuditEvent.objects.create(actor=actor, action=action, target=target, detail=detail or {})


def user_create(*, username: str, password: str, roles: list[str], is_superuser: bool = False) -> User:
    """Create a user with the given roles (or update the password and roles of an existing one)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.roles = sorted(set(roles))
    user.is_superuser = is_superuser
    user.is_staff = is_superuser or "admin" in roles or "curator" in roles
    user.save()
    return user

"""User and audit services."""

from __future__ import annotations

from typing import Any

from readingroom.core.models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event to the audit log (``actor`` None or anonymous: the system or an unknown user).

    Actions are ``<what>.<verb>`` (``image.view``, ``image.download``, ``study.labels.set``,
    ``dataset_version.export``, ``auth.login``, ...); ``target`` is ``<kind>:<id>``.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(actor=user, actor_name=user.get_username() if user else "",
                                     action=action, target=target[:128], detail=detail or {})  # fmt: skip


def user_create(*, username: str, password: str, roles: list[str], is_superuser: bool = False) -> User:
    """Create a user with the given roles (or update the password and roles of an existing one)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.roles = sorted(set(roles))
    user.is_superuser = is_superuser
    user.is_staff = is_superuser or "admin" in roles or "curator" in roles
    user.save()
    return user

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
                                     action=action, target=_storable(target)[:128],
                                     detail=_storable(detail or {}))  # fmt: skip


def _storable(value: Any) -> Any:
    """``value`` with every string storable in any database's JSON and text columns: NUL (which
    PostgreSQL refuses) and lone surrogates (not UTF-8) become U+FFFD. What a client sent is recorded as
    faithfully as it can be, never refused."""
    if isinstance(value, str):
        if "\x00" not in value and value.isascii():
            return value
        clean = value.replace("\x00", "\ufffd")
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in clean)
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def user_create(*, username: str, password: str, roles: list[str], is_superuser: bool = False) -> User:
    """Create a user with the given roles (or update the password and roles of an existing one)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.roles = sorted(set(roles))
    user.is_superuser = is_superuser
    user.is_staff = is_superuser or "admin" in roles or "curator" in roles
    user.save()
    return user

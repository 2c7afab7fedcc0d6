"""Role checks for the API."""

from __future__ import annotations

from rest_framework.request import Request

from readingroom.core.exceptions import Forbidden


def require_role(request: Request, *roles: str) -> None:
    """Raise :class:`Forbidden` unless the request's user holds one of ``roles`` (superusers hold all)."""
    user = request.user
    if not any(user.has_role(role) for role in roles):
        raise Forbidden(f"this needs the role {' or '.join(roles)}")

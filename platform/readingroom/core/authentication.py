"""DRF authentication by a scoped API token: ``Authorization: Bearer rrt_...`` (see ``core.tokens``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from readingroom.core.exceptions import Forbidden
from readingroom.core.models import ApiToken, User
from readingroom.core.tokens import API_READ, API_WRITE, token_check, token_find

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiTokenAuthentication(BaseAuthentication):
    """A bearer token with ``api:read`` (safe methods) or ``api:write`` (all); the user's roles still apply.

    No CSRF check: the token is not sent by the browser on its own, so another site cannot use it.
    """

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization: give 'Bearer <token>'")
        token = token_find(parts[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed("unknown token")
        needed = (API_READ, API_WRITE) if request.method in _SAFE_METHODS else (API_WRITE,)
        try:
            token_check(token, scope=needed)
        except Forbidden as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "a scoped API token (rrt_...)"}

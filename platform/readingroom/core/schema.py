"""OpenAPI security schemes: the session cookie, and the CSRF header that unsafe requests also need.

Django's session authentication refuses a POST, PUT, PATCH or DELETE without the ``X-CSRFToken`` header
carrying the ``csrftoken`` cookie's value (``GET /api/auth/csrf/`` sets the cookie). The schema says so:
safe operations require ``cookieAuth``; unsafe ones require ``cookieAuth`` and ``csrfToken`` together, so
that a client generated from the schema sends the header.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

_SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


def csrf_header_name() -> str:
    """The HTTP name of the CSRF header (Django's ``CSRF_HEADER_NAME`` is its WSGI environ key)."""
    name = settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")
    return "X-CSRFToken" if name == "X-CSRFTOKEN" else name


class SessionWithCsrfScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = ["cookieAuth", "csrfToken"]
    priority = 1

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
             "description": "The session cookie that POST /api/auth/login/ sets."},
            {"type": "apiKey", "in": "header", "name": csrf_header_name(),
             "description": f"Unsafe methods (POST, PUT, PATCH, DELETE): the value of the "
             f"'{settings.CSRF_COOKIE_NAME}' cookie, which GET /api/auth/csrf/ sets."},
        ]  # fmt: skip

    def get_security_requirement(self, auto_schema):
        if auto_schema.method.upper() in _SAFE:
            return {"cookieAuth": []}
        return {"cookieAuth": [], "csrfToken": []}

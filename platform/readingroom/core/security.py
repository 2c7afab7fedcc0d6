"""HTTP hardening: security headers on every response, and debug pages that never show credentials.

- :class:`SecurityHeadersMiddleware` sends the Content-Security-Policy of ``CONTENT_SECURITY_POLICY``
  (Django 5.2 has none of its own), with the page's own host added for WebSockets (``ws://``/``wss://``),
  and a Permissions-Policy that turns off the browser features the reading room never uses. HSTS, the
  HTTPS redirect, nosniff, the referrer policy and X-Frame-Options come from Django's SecurityMiddleware.
- :class:`SecretScrubbingFilter` is the exception reporter filter: besides Django's own patterns (``KEY``,
  ``SECRET``, ``PASS``, ``TOKEN``, ...) it hides the settings that hold connection URLs (``DATABASE_URL``,
  ``REDIS_URL``, ``CELERY_BROKER_URL``, ``CHANNEL_LAYERS``, ``CACHES``, ...), and masks the password of any
  ``scheme://user:password@host`` URL in settings, request metadata and the traceback's local variables;
  :class:`ScrubbingExceptionReporter` masks them in the exception's message.

>>> scrub_credentials("postgres://app:s3cret@db:5432/rr and redis://:pw@cache:6379/0")
'postgres://********@db:5432/rr and redis://********@cache:6379/0'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^@/\s]+@", re.IGNORECASE)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def scrub_credentials(text: str) -> str:
    """``text`` with the user and password of every ``scheme://user:password@host`` URL masked."""
    return _USERINFO.sub(r"\g<scheme>********@", text)


class SecretScrubbingFilter(SafeExceptionReporterFilter):
    """Django's safe filter, plus connection URLs and credentials inside any URL (see the module)."""

    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|REDIS|BROKER|RESULT_BACKEND|CHANNEL_LAYERS"
        r"|CACHES|DSN|_URL$",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        return scrub_credentials(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, scrub_credentials(v) if isinstance(v, str) else v) for name, v in variables]


class ScrubbingExceptionReporter(ExceptionReporter):
    """Django's reporter, with credentials masked in the exception's message too."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = scrub_credentials(data["exception_value"])
        return data


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to responses that do not set their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = _with_websockets(policy, request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _with_websockets(policy: str, request: HttpRequest) -> str:
    """Add the page's own ``ws://`` and ``wss://`` origin to ``connect-src`` (older browsers' 'self' lacks them)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return policy
    directives = []
    for directive in policy.split(";"):
        words = directive.split()
        if words and words[0] == "connect-src":
            directive = f"{directive.strip()} ws://{host} wss://{host}"
        directives.append(directive.strip())
    return "; ".join(d for d in directives if d)

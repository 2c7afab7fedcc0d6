"""HTTP mapping of the platform's errors, and small API helpers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from readingroom.core.exceptions import ReadingRoomError, TooManyRequests


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus :class:`ReadingRoomError` -> its status code with ``{"detail": message}``
    (and ``Retry-After`` for :class:`TooManyRequests`)."""
    if isinstance(exc, ReadingRoomError):
        response = Response({"detail": str(exc)}, status=exc.status_code)
        if isinstance(exc, TooManyRequests):
            response["Retry-After"] = str(exc.retry_after_s)
        return response
    return drf_exception_handler(exc, context)


class ErrorOutput(serializers.Serializer):
    """The body of every refusal: ``{"detail": "what is wrong"}``."""

    detail = serializers.CharField()

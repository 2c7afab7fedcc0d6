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


def get_or_not_found(model, pk: int, what: str):
    """The object of ``model`` with primary key ``pk``, or :class:`NotFound` naming ``what``."""
    from readingroom.core.exceptions import NotFound

    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{what} {pk} does not exist")
    return obj


def validated(serializer_class, request) -> dict:
    """The request body checked by ``serializer_class`` (a 400 naming the fields when it is not valid)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data

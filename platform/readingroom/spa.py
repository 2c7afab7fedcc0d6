"""Serves the built frontend's index.html for the app's routes."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

MISSING_BUILD = (
    "<!doctype html><title>CoGaze reading room</title><h1>The frontend is not built</h1>"
    "<p>Run <code>./scripts/run</code> (it builds the frontend), or <code>npm --prefix frontend run build"
    "</code>.</p>"
)


@ensure_csrf_cookie
def index(request: HttpRequest, path: str = "") -> HttpResponse:
    index_file = settings.FRONTEND_DIST / "index.html"
    if not index_file.is_file():
        return HttpResponse(MISSING_BUILD, status=503)
    return HttpResponse(index_file.read_bytes(), content_type="text/html; charset=utf-8")

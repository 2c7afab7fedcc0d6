"""The OpenAPI schema (the frontend's client types are generated from it) is valid and complete."""

from __future__ import annotations

import json

from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "openapi.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out)
    )
    schema = json.loads(out.read_text())
    paths = schema["paths"]
    for path in ("/api/worklist/", "/api/assignments/{assignment_id}/start/", "/api/sessions/{session_id}/report/",
                 "/api/sessions/{session_id}/results/", "/api/images/{image_id}/"):  # fmt: skip
        assert path in paths, path
    report = schema["components"]["schemas"]["ReportInput"]
    assert set(report["required"]) >= {"findings", "labels"}

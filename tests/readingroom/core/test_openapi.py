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


def test_committed_frontend_types_match_the_schema(tmp_path):
    """frontend/src/api/schema.d.ts is generated from this schema (`npm run gen:api`) and committed:
    an API change without regenerating the types fails here (and then the frontend's type check)."""
    import shutil
    import subprocess
    from pathlib import Path

    import pytest

    frontend = Path(__file__).resolve().parents[3] / "frontend"
    node = shutil.which("node")
    if not node or not (frontend / "node_modules" / "openapi-typescript").is_dir():
        pytest.skip("node and frontend/node_modules (npm ci) are needed to generate the types")
    out = tmp_path / "schema.d.ts"
    # gen-api makes the schema itself, on the embedded default's settings whatever this run's database
    # (integer ranges, and so int64 formats, follow the backend)
    subprocess.run([node, "scripts/gen-api.mjs", "--out", str(out)], cwd=frontend, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    committed = (frontend / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, "run `npm run gen:api` in frontend/ and commit src/api/schema.d.ts"

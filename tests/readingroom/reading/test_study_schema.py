"""The OpenAPI schema documents the reader-study, report, tracker and results operations the frontend's
generated client needs, each with its own request and response shapes."""

from __future__ import annotations

import json

from django.core.management import call_command


def test_the_schema_has_the_study_report_and_tracking_operations(tmp_path):
    out = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    schema = json.loads(out.read_text())
    paths, components = schema["paths"], schema["components"]["schemas"]
    expected = {
        "/api/reader-studies/": {"get", "post"},
        "/api/reader-studies/{study_id}/": {"get", "patch"},
        "/api/reader-studies/{study_id}/start/": {"post"},
        "/api/reader-studies/{study_id}/close/": {"post"},
        "/api/reader-studies/{study_id}/progress/": {"get"},
        "/api/reader-studies/{study_id}/readings/": {"get"},
        "/api/assignments/{assignment_id}/reassign/": {"post"},
        "/api/users/": {"get"},
        "/api/sessions/{session_id}/report/": {"get", "post", "put", "patch"},
        "/api/sessions/{session_id}/report/amendments/": {"post"},
        "/api/sessions/{session_id}/second-read/": {"post"},
        "/api/sessions/{session_id}/transcripts/": {"post"},
        "/api/sessions/{session_id}/tracker-checks/": {"post"},
        "/api/sessions/{session_id}/drift-checks/": {"post"},
        "/api/sessions/{session_id}/tracking/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    start = paths["/api/reader-studies/{study_id}/start/"]["post"]["responses"]
    assert {"200", "400", "409"} <= set(start)
    assert set(components["StudyCreateInput"]["required"]) >= {"name", "arms", "reader_ids"}
    assert "observations" in components["AgreementOutput"]["properties"]
    assert set(components["ArmModeEnum"]["enum"]) == {"unaided", "ai_assisted", "second_read"}
    results = components["ResultsOutput"]["properties"]
    assert {"type", "session_id", "arm_mode", "phase", "prediction", "heatmap"} <= set(results)
    assert {"available", "available_from", "blocked_reason", "arm"} <= set(
        components["AssignmentOutput"]["properties"]
    )

"""The admin names gaze analyses in plain English."""

from __future__ import annotations

import pytest

from readingroom.gaze.models import GazeAnalysis


def test_gaze_analysis_plural_name():
    assert GazeAnalysis._meta.verbose_name_plural == "gaze analyses"


@pytest.mark.django_db
def test_admin_index_lists_gaze_analyses(admin_client):
    text = admin_client.get("/admin/").content.decode()
    assert "Gaze analyses" in text
    assert "analysiss" not in text

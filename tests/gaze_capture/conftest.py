"""Shared fixtures of the gaze_capture tests: the real-data folder and synthetic recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"
LUND = SHARED_DATA / "eyemove_lund2013"


@pytest.fixture(scope="session")
def lund_dir() -> Path:
    """The Lund 2013 hand-labelled data set, or skip."""
    if not (LUND / "files_index.csv").is_file():
        pytest.skip(
            "Lund 2013 data not found at ../shared/data/eyemove_lund2013 (beside the repository root)"
        )
    return LUND

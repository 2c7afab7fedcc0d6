"""Shared test fixtures: paths to the shared data, demo objects created through the real services."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path under ``../shared/data``; skips the test with a clear message where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared data not found at ../shared/data/{'/'.join(parts)} (see the README's Data section)"
        )
    return path


def rg1_uncr() -> Path:
    """The real chest PA radiograph shipped by the pydicom-data package (MONOCHROME1, 15 bits)."""
    from pydicom.data import get_testdata_file

    found = get_testdata_file("RG1_UNCR.dcm", download=False)
    if not found:
        pytest.skip("pydicom-data's RG1_UNCR.dcm is not installed")
    return Path(found)

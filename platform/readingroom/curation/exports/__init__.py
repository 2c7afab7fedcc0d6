"""Exports of frozen dataset versions, by format name (see :data:`EXPORTERS`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from readingroom.core.exceptions import InvalidInput
from readingroom.curation.exports.bids import version_export_bids
from readingroom.curation.exports.cogaze import version_export_cogaze
from readingroom.curation.exports.native import version_export_native
from readingroom.curation.exports.reflacx import version_export_reflacx
from readingroom.curation.exports.sr import version_export_sr
from readingroom.curation.models import DatasetVersion

EXPORTERS: dict[str, Callable] = {
    "cogaze": version_export_cogaze,
    "native": version_export_native,
    "reflacx": version_export_reflacx,
    "bids": version_export_bids,
    "sr": version_export_sr,
}


def version_export(*, version: DatasetVersion, format: str, root: Path | str):  # noqa: A002
    """Export ``version`` in ``format`` (a key of :data:`EXPORTERS`) into the empty folder ``root``."""
    exporter = EXPORTERS.get(format)
    if exporter is None:
        raise InvalidInput(f"format: unknown export format {format!r}; choose from {sorted(EXPORTERS)}")
    return exporter(version=version, root=root)


__all__ = ["EXPORTERS", "version_export", *(f.__name__ for f in EXPORTERS.values())]

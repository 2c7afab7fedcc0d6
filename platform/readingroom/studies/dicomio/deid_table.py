"""The attribute actions of the PS3.15 Annex E Basic Application Level Confidentiality Profile, as data.

The whole of Annex E's Table E.1-1 (Basic Profile column) is read from a maintained, machine-readable copy:
the ``dicom-anonymizer`` package (pinned in ``pyproject.toml``) ships the table of each DICOM edition as
Python data, generated from the standard's own HTML table. :data:`EDITION` names the edition used; a newer
edition is a one-line change here once the package carries it. The rows become ``(tag, keyword, action)``
(the keyword is pydicom's, ``""`` for an attribute newer than pydicom's dictionary) and the few rows that
stand for a range of tags (curve data ``50xx,xxxx``, overlay data and comments ``60xx,3000``/``60xx,4000``)
become :data:`MASKED_ROWS`. The actions are explained in :mod:`readingroom.studies.dicomio.deid`.
"""

from __future__ import annotations

import importlib

from pydicom.datadict import keyword_for_tag

EDITION = "dicomfields_2026c"
# The package's list of each action (combined actions as the standard writes them).
_CATEGORIES = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}


def _load() -> tuple[tuple[tuple[int, str, str], ...], tuple[tuple[int, int, int, int, str], ...]]:
    module = importlib.import_module(f"dicomanonymizer.dicom_anonymization_databases.{EDITION}")
    rows: dict[int, tuple[int, str, str]] = {}
    masked: list[tuple[int, int, int, int, str]] = []
    for category, action in _CATEGORIES.items():
        for entry in getattr(module, category):
            if len(entry) == 4:  # (group, element, group mask, element mask): a range of tags
                masked.append((*entry, action))
                continue
            tag = (entry[0] << 16) | entry[1]
            if tag in rows and rows[tag][2] != action:
                raise ValueError(f"Annex E table {EDITION}: ({tag:08X}) has two actions")
            rows[tag] = (tag, keyword_for_tag(tag), action)
    return tuple(sorted(rows.values())), tuple(masked)


# (tag, keyword, action) for every single-tag row of PS3.15 Annex E Table E.1-1, Basic Profile column.
# MASKED_ROWS: (group, element, group mask, element mask, action) for the rows that name a range of tags.
BASIC_PROFILE, MASKED_ROWS = _load()

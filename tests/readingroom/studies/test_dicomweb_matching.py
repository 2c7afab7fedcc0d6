"""QIDO-RS attribute matching (PS3.4 C.2.2.2) on plain values, without the database."""

from __future__ import annotations

import pytest
from pydicom.datadict import tag_for_keyword
from pydicom.multival import MultiValue

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.dicomweb.matching import parse_query


def _matches(key: str, query: str, value) -> bool:
    parsed = parse_query([(key, [query])], max_limit=100)
    tag = tag_for_keyword(key)
    return parsed.matches(lambda asked: value if asked == tag else None)


@pytest.mark.parametrize(
    ("key", "query", "value", "expected"),
    [
        ("StudyTime", "0800-1230", "081500.25", True),
        ("StudyTime", "0800-1230", "123001", False),
        ("StudyTime", "-0800", "075959", True),
        ("AcquisitionDateTime", "20240110-20240110", "20240110081500", True),
        ("AcquisitionDateTime", "20240111-", "20240110235959", False),
        ("PatientName", "doe^j*", "DOE^JOHN", True),
        ("PatientID", "ab?", "ABC", False),
        ("PatientID", "ab?", "abc", True),
        ("ModalitiesInStudy", "MR\\DX", MultiValue(str, ["CR", "DX"]), True),
        ("ModalitiesInStudy", "MR", MultiValue(str, ["CR", "DX"]), False),
        ("SmallestImagePixelValue", "010", 10, True),  # VR "US or SS": compared as a number
        ("SeriesNumber", "2", "2.0", True),
        ("PatientID", "", None, True),  # universal matching, even where the attribute is absent
        ("PatientID", "x", None, False),
    ],
)
def test_matching_per_value_representation(key, query, value, expected):
    assert _matches(key, query, value) is expected


@pytest.mark.parametrize("query", ["8", "08:00", "1230-0800-0900", "\u0661\u0662", "-"])
def test_malformed_times_are_refused(query):
    with pytest.raises(InvalidInput, match="StudyTime"):
        parse_query([("StudyTime", [query])], max_limit=100)

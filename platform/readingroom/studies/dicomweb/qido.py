"""QIDO-RS search (PS3.18 10.6) at study, series and instance level over the instances a user may see.

Each instance is seen with its study's attributes (from its first instance, with the computed
``ModalitiesInStudy`` and counts) and its series' attributes, so any level's attributes can be matched at
any level (relational queries): a study or series matches when one of its instances matches every key.
Results come in import order, ``offset`` and ``limit`` applied after matching. Each result holds the
attributes PS3.18 Table 10.6.3-3 requires at its level (those of the levels above too when the search is
not scoped to one study or series), the matching keys, and the ``includefield`` attributes; attributes
the platform does not have are present and empty.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pydicom
from django.contrib.auth.base_user import AbstractBaseUser
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement

from readingroom.studies.dicomweb.instances import (
    frame_count,
    instance_header,
    instances_of,
    visible_images,
)
from readingroom.studies.dicomweb.matching import Query
from readingroom.studies.models import Image

# Most results one response holds; a larger ``limit`` is lowered to it with a Warning.
MAX_RESULTS = 1000

STUDY_REQUIRED = (
    "StudyDate", "StudyTime", "AccessionNumber", "InstanceAvailability", "ModalitiesInStudy",
    "ReferringPhysicianName", "RetrieveURL", "StudyDescription", "PatientName", "PatientID",
    "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyID", "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)  # fmt: skip
_STUDY_FROM_HEADER = (
    "StudyDate", "StudyTime", "AccessionNumber", "ReferringPhysicianName", "TimezoneOffsetFromUTC",
    "StudyDescription", "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex",
    "PatientAge", "PatientSize", "PatientWeight", "StudyID",
)  # fmt: skip
SERIES_REQUIRED = (
    "Modality", "InstanceAvailability", "SeriesDescription", "RetrieveURL", "SeriesInstanceUID",
    "SeriesNumber", "NumberOfSeriesRelatedInstances", "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
)  # fmt: skip
_SERIES_FROM_HEADER = (
    "Modality", "SeriesDate", "SeriesTime", "SeriesDescription", "BodyPartExamined", "SeriesNumber",
    "Laterality", "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
)  # fmt: skip
INSTANCE_REQUIRED = (
    "SOPClassUID", "SOPInstanceUID", "InstanceAvailability", "RetrieveURL", "InstanceNumber",
    "NumberOfFrames", "Rows", "Columns", "BitsAllocated",
)  # fmt: skip
_LEVELS = ("study", "series", "instance")
_REQUIRED = {"study": STUDY_REQUIRED, "series": SERIES_REQUIRED, "instance": INSTANCE_REQUIRED}
_UID_OF = {"study": "StudyInstanceUID", "series": "SeriesInstanceUID", "instance": "SOPInstanceUID"}
_BULK = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}


_STUDY_TAGS = frozenset(tag_for_keyword(k) for k in _STUDY_FROM_HEADER)
_SERIES_TAGS = frozenset(tag_for_keyword(k) for k in _SERIES_FROM_HEADER)


@dataclass
class _Instance:
    """An instance seen with its study and series: computed values (plain Python values, so that matching
    builds no DICOM elements), then the study's and the series' first headers for their attributes, then
    its own header. Headers are cached and shared: they are only read."""

    image: Image
    header: pydicom.Dataset
    study_header: pydicom.Dataset
    series_header: pydicom.Dataset
    study: dict[int, object]
    series: dict[int, object]

    def _source(self, tag: int) -> pydicom.Dataset:
        if tag in _STUDY_TAGS:
            return self.study_header
        return self.series_header if tag in _SERIES_TAGS else self.header

    def value(self, tag: int) -> object:
        for computed in (self.study, self.series):
            if tag in computed:
                return computed[tag]
        element = self._source(tag).get(tag)
        return None if element is None else element.value

    def element(self, tag: int) -> DataElement | None:
        """A new element (a copy where it comes from a header), or None where there is none."""
        for computed in (self.study, self.series):
            if tag in computed:
                return DataElement(tag, dictionary_VR(tag).split(" or ")[0], computed[tag])
        element = self._source(tag).get(tag)
        return None if element is None else copy.copy(element)

    def tags(self, level: str) -> list[int]:
        """The tags this instance holds at ``level`` and above (``includefield=all``)."""
        tags = list(self.study) + [t for t in _STUDY_TAGS if t in self.study_header]
        if level != "study":
            tags += list(self.series) + [t for t in _SERIES_TAGS if t in self.series_header]
        if level == "instance":
            tags += [element.tag for element in self.header]
        return tags


def _text(header: pydicom.Dataset, tag: int) -> str:
    element = header.get(tag)
    return "" if element is None or element.value is None else str(element.value)


def _records(pairs: list[tuple[Image, pydicom.Dataset]]) -> list[_Instance]:
    """Each instance with the attributes of its study and its series, computed over ``pairs``."""
    studies: dict[int, list[tuple[Image, pydicom.Dataset]]] = {}
    for image, header in pairs:
        studies.setdefault(image.study_id, []).append((image, header))
    records = []
    for members in studies.values():
        first_image, first = members[0]
        series: dict[str, list[tuple[Image, pydicom.Dataset]]] = {}
        modalities = set()
        for image, header in members:
            series.setdefault(_text(header, 0x0020000E), []).append((image, header))
            modalities.add(_text(header, 0x00080060))
        study: dict[int, object] = {
            0x0020000D: first_image.study.study_uid,
            0x00080061: sorted(modalities - {""}),
            0x00201206: len(series),
            0x00201208: len(members),
        }
        if not _text(first, 0x00081030):
            study[0x00081030] = first_image.study.description
        for uid, in_series in series.items():
            computed: dict[int, object] = {0x0020000E: uid, 0x00201209: len(in_series)}
            records += [
                _Instance(image, header, first, in_series[0][1], study, computed)
                for image, header in in_series
            ]
    records.sort(key=lambda r: (r.image.study_id, r.image.pk))
    return records


def _entity_key(record: _Instance, level: str) -> tuple:
    keys = {"study": (record.image.study_id,), "series": (record.image.study_id, record.value(0x0020000E))}
    return keys.get(level, (record.image.pk,))


def _add(out: pydicom.Dataset, record: _Instance, tag: int) -> None:
    if tag in out:
        return
    element = record.element(tag)
    if element is not None and element.VR not in _BULK and element.tag != 0x7FE00010:
        out.add(element)
    elif element is None:
        vr = dictionary_VR(tag).split(" or ")[0]
        if vr not in _BULK:
            out.add_new(tag, vr, None)


def _result(record: _Instance, level: str, scope: int, query: Query, root: str) -> pydicom.Dataset:
    out = pydicom.Dataset()
    levels = _LEVELS[scope : _LEVELS.index(level) + 1]
    for at in levels:
        for keyword in _REQUIRED[at]:
            if keyword not in ("RetrieveURL", "InstanceAvailability", "NumberOfFrames"):
                _add(out, record, tag_for_keyword(keyword))
    for at in _LEVELS[: _LEVELS.index(level) + 1]:
        _add(out, record, tag_for_keyword(_UID_OF[at]))
    for tag in [k.tag for k in query.keys] + sorted(query.include):
        _add(out, record, tag)
    if query.include_all:
        for tag in record.tags(level):
            _add(out, record, tag)
    out.InstanceAvailability = "ONLINE"
    if level == "instance":
        out.NumberOfFrames = frame_count(record.header)
    url = f"{root}/studies/{record.value(0x0020000D)}"
    if level in ("series", "instance"):
        url += f"/series/{record.value(0x0020000E)}"
    if level == "instance":
        url += f"/instances/{record.image.sop_uid}"
    out.RetrieveURL = url
    return out


def qido_search(
    *,
    user: AbstractBaseUser,
    level: str,
    query: Query,
    root: str,
    study_uid: str | None = None,
    series_uid: str | None = None,
) -> tuple[list[pydicom.Dataset], list[str]]:
    """The results of ``query`` at ``level`` (``study``, ``series``, ``instance``), optionally within one
    study (and series), and the Warning texts; ``root`` is the absolute URL of the DICOMweb service."""
    if study_uid is not None:
        pairs = instances_of(user=user, study_uid=study_uid, series_uid=series_uid)
    else:
        images = visible_images(
            user=user, study_uids=query.values_for(0x0020000D), sop_uids=query.values_for(0x00080018)
        )
        pairs = [(image, instance_header(image)) for image in images]
    scope = 2 if series_uid is not None else 1 if study_uid is not None else 0
    warnings = list(query.warnings)
    matched: dict[tuple, _Instance] = {}
    for record in _records(pairs):
        key = _entity_key(record, level)
        if key not in matched and query.matches(record.value):
            matched[key] = record
    found = list(matched.values())[query.offset :]
    limit = query.limit
    if limit is None and len(found) > MAX_RESULTS:
        warnings.append(
            "The number of results exceeded the maximum supported by the server. "
            "Additional results can be requested."
        )
        limit = MAX_RESULTS
    if limit is not None:
        found = found[:limit]
    return [_result(r, level, scope, query, root) for r in found], warnings

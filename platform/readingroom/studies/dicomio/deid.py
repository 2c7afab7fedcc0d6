"""De-identification by the DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile.

The profile's actions per attribute (the whole of Table E.1-1, from a maintained machine-readable copy) live
as data in :data:`.deid_table.BASIC_PROFILE` and :data:`.deid_table.MASKED_ROWS`:

- ``D``: replace with a non-zero-length dummy value consistent with the VR;
- ``Z``: replace with a zero-length value;
- ``X``: remove;
- ``K``: keep;
- ``C``: clean (values of similar meaning that identify nothing; here a dummy value as for ``D``);
- ``U``: replace the UID with one that is consistent across all instances (the caller's ``remap_uid``).

Combined actions (``X/Z``, ``X/D``, ``Z/D``, ``X/Z/D``, ``X/Z/U*``) take the strictest choice the standard
allows: ``X`` where it is listed, else the first letter. The *Retain Longitudinal Temporal Information With
Modified Dates* option applies: dates that survive as ``Z`` or ``D`` (``DA``, the date part of ``DT``) are
shifted by a whole number of days that is constant per patient, so intervals within one patient are kept;
Patient's Birth Date is emptied. Private attributes, curve data (group ``50xx``) and overlay data and
comments (``60xx,3000``, ``60xx,4000``) are removed, in nested sequences too. Beyond the table, as a safety
net: dates it does not list are shifted too, person names (VR PN) it does not list are emptied, free text
(VR LO, SH, ST, LT, UT, UC) it does not list is removed unless it is one of the coded or technical
attributes of :data:`KEPT_TEXT`, and a Code Meaning is replaced by the meaning the coding scheme gives its
code (pydicom's dictionary of DCM, SNOMED CT, LOINC, ... concepts) or by a dummy for a local code, since a
site's own code meanings can hold anything (a procedure named after a patient). Patient Identity Removed,
De-identification Method (and its code sequence) and Longitudinal Temporal Information Modified are set.

>>> resolve_action("X/Z/D"), resolve_action("Z/D"), resolve_action("X/Z/U*")
('X', 'Z', 'X')
>>> _shift_date("20200301", -1), _shift_date("20200301101500.5", -1), _shift_date("garbage", -1)
('20200229', '20200229101500.5', '')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from readingroom.studies.dicomio.deid_table import BASIC_PROFILE, MASKED_ROWS

ACTIONS: dict[int, str] = {tag: action for tag, _, action in BASIC_PROFILE}
# De-identification Method is LO (at most 64 characters per value), multi-valued.
METHOD = ("DICOM PS3.15 Annex E Basic Profile", "Retain Longitudinal Temporal Info Modified Dates Option")
# DCM codes of the profile and the option (PS3.16 CID 7050 De-identification Method).
METHOD_CODES = (("113100", "Basic Application Confidentiality Profile"),
                ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))  # fmt: skip
_BIRTH_DATE = 0x00100030
_PATIENT_ID = 0x00100020
_DUMMY_TEXT = "ANONYMIZED"
_TEXT_VRS = {"AE", "AS", "CS", "LO", "LT", "SH", "ST", "UC", "UT", "UR", "PN"}
# Free-text VRs: where a name, an address or a note can hide in an attribute the table does not list.
_FREE_TEXT_VRS = {"LO", "SH", "ST", "LT", "UT", "UC"}
# Free-text attributes the table does not list that are kept: codes and technical descriptions of the
# device and the pixel data, which the viewer and the exports need and which describe no person.
KEPT_TEXT = frozenset(
    {
        0x00080100,  # CodeValue
        0x00080102,  # CodingSchemeDesignator
        0x00080103,  # CodingSchemeVersion
        0x00080119,  # LongCodeValue
        0x00080070,  # Manufacturer
        0x00081090,  # ManufacturerModelName
        0x00181020,  # SoftwareVersions
        0x00281054,  # RescaleType
        0x00283004,  # ModalityLUTType
        0x00120063,  # DeidentificationMethod
    }
)
_CODE_MEANING = 0x00080104
_CODE_VALUE = 0x00080100
_CODING_SCHEME = 0x00080102
_NUMBER_VRS = {"DS", "IS", "FL", "FD", "SL", "SS", "UL", "US", "SV", "UV"}
# VRs of the attributes the table does not list that the safety net inspects (sequences are walked); an
# unlisted attribute of another VR (other than Code Meaning) is kept as read, without converting its value.
_INSPECTED_VRS = {"SQ", "DA", "DT", "PN"} | _FREE_TEXT_VRS


@dataclass
class DeidReport:
    """What de-identification did to one dataset: counts of actions and the tags it removed."""

    removed: int = 0
    emptied: int = 0
    replaced: int = 0
    uids_remapped: int = 0
    dates_shifted: int = 0
    private_removed: int = 0
    burned_in_annotation: bool = False
    removed_tags: list[str] = field(default_factory=list)


def resolve_action(action: str) -> str:
    """The single action to apply for a (possibly combined) profile action, e.g. ``"X/Z/D"`` -> ``"X"``."""
    choices = [a.rstrip("*") for a in action.split("/")]
    return "X" if "X" in choices else choices[0]


def _shift_date(value: str, days: int) -> str:
    """Shift a DA value (or the date prefix of a DT value) by ``days``; keep the rest of the value."""
    text = value.strip()
    if len(text) < 8 or not text[:8].isdigit():
        return ""
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return ""
    return (day + dt.timedelta(days=days)).strftime("%Y%m%d") + text[8:]


def _is_removed_group(tag: int) -> bool:
    """Private attributes, and the table's rows for ranges of tags (curves, overlay data and comments)."""
    group, element = tag >> 16, tag & 0xFFFF
    if group & 1:  # private
        return True
    return any(
        (group & group_mask) == row_group and (element & element_mask) == row_element
        for row_group, row_element, group_mask, element_mask, _ in MASKED_ROWS
    )


def _vr_of(elem: DataElement | RawDataElement, tag: int) -> str:
    """The VR an element has once converted, without converting it: a raw element read with implicit VR (or
    as UN) takes the dictionary's VR, as pydicom's conversion does; ``"UN"`` for a tag the dictionary lacks.

    >>> from pydicom.dataelem import RawDataElement
    >>> _vr_of(RawDataElement(0x00100010, None, 4, b"A^B ", 0, True, True), 0x00100010)
    'PN'
    >>> _vr_of(RawDataElement(0x00100010, "UN", 4, b"A^B ", 0, False, True), 0x00100010)
    'PN'
    >>> _vr_of(RawDataElement(0x00091001, None, 2, b"xy", 0, True, True), 0x00091001)
    'UN'
    """
    vr = elem.VR
    if vr is None or vr == "UN":
        try:
            return dictionary_VR(tag)
        except KeyError:
            return "UN"
    return str(vr)


def _text_of(ds: Dataset, tag: int) -> str:
    elem = ds.get(tag)
    return "" if elem is None or elem.value is None else str(elem.value)


@cache
def _code_meanings() -> dict[tuple[str, str], str]:
    """(coding scheme, code value) -> the scheme's meaning, for the concepts pydicom's dictionary knows."""
    from pydicom.sr._concepts_dict import concepts

    return {
        (scheme, code): meaning
        for scheme, names in concepts.items()
        for codes in names.values()
        for code, (meaning, _) in codes.items()
    }


class _Deidentifier:
    def __init__(self, *, pseudonym: str, date_offset_days: int, remap_uid: Callable[[str], str]) -> None:
        self.pseudonym = pseudonym
        self.days = date_offset_days
        self.remap_uid = remap_uid
        self.report = DeidReport()

    def _dummy(self, vr: str, value: object) -> object:
        if vr == "UI":
            return self._uid(value)
        if vr == "PN":
            return "ANONYMOUS"
        if vr == "DA":
            return "19000101"
        if vr == "DT":
            return "19000101000000"
        if vr == "TM":
            return "000000"
        if vr == "AS":
            return "000Y"
        if vr in _NUMBER_VRS:
            return 0
        if vr == "SQ":
            return Sequence([])
        return _DUMMY_TEXT if vr in _TEXT_VRS else b""

    def _uid(self, value: object) -> object:
        if value is None or value == "":
            return value
        if isinstance(value, list | tuple) or hasattr(value, "__iter__") and not isinstance(value, str):
            return [self.remap_uid(str(v)) for v in value]
        return self.remap_uid(str(value))

    def _shift(self, elem) -> None:
        values = elem.value if elem.VM > 1 else [elem.value]
        shifted = [_shift_date(str(v), self.days) for v in values]
        elem.value = shifted if elem.VM > 1 else shifted[0]
        self.report.dates_shifted += 1

    def apply(self, ds: Dataset) -> None:
        """De-identify ``ds`` in place, nested sequences too.

        Elements are walked by tag, as read (``get_item``): an element is converted to its value only where
        the profile changes it or must look at it; one that is removed is deleted as read, and one that is
        kept (action ``K`` outside sequences; an unlisted one the safety net does not inspect) stays as read,
        so that it is written back with its original bytes and its value is never decoded and encoded again.
        """
        for tag in list(ds.keys()):
            raw = ds.get_item(tag)
            number = int(tag)
            if _is_removed_group(number):
                del ds[tag]
                self.report.private_removed += 1 if (number >> 16) & 1 else 0
                self.report.removed += 1
                continue
            action = ACTIONS.get(number)
            vr = _vr_of(raw, number)
            if action is None:
                if vr in _INSPECTED_VRS or number == _CODE_MEANING:
                    self._unlisted(ds, ds[tag])
                continue
            action = resolve_action(action)
            if action == "K" and vr != "SQ":
                continue
            if action == "X":
                del ds[tag]
                self.report.removed += 1
                self.report.removed_tags.append(keyword_for_tag(number) or f"{number:08X}")
                continue
            self._act(ds, ds[tag], action)

    def _unlisted(self, ds: Dataset, elem) -> None:
        """The safety net for an attribute the table does not list (see the module's docstring)."""
        tag = int(elem.tag)
        if elem.VR == "SQ":
            for item in elem.value:
                self.apply(item)
        elif elem.VR in {"DA", "DT"} and elem.value:
            self._shift(elem)  # dates the table does not list: shifted, never kept as they were
        elif elem.VR == "PN" and elem.value:
            elem.value = None  # person names the table does not list: emptied
            self.report.emptied += 1
        elif tag == _CODE_MEANING and elem.value:
            key = (_text_of(ds, _CODING_SCHEME), _text_of(ds, _CODE_VALUE))
            elem.value = _code_meanings().get(key, _DUMMY_TEXT)
            self.report.replaced += 1
        elif elem.VR in _FREE_TEXT_VRS and tag not in KEPT_TEXT and elem.value:
            del ds[elem.tag]
            self.report.removed += 1
            self.report.removed_tags.append(elem.keyword or f"{tag:08X}")

    def _act(self, ds: Dataset, elem, action: str) -> None:
        """A listed attribute's action other than ``X`` (which :meth:`apply` does without converting)."""
        tag = int(elem.tag)
        if action == "K":
            if elem.VR == "SQ":
                for item in elem.value:
                    self.apply(item)
            return
        if action == "U":
            elem.value = self._uid(elem.value)
            self.report.uids_remapped += 1
            return
        if elem.VR in {"DA", "DT"} and tag != _BIRTH_DATE and elem.value:
            self._shift(elem)  # the modified-dates option: keep the interval, not the date
            return
        if tag == _PATIENT_ID:
            elem.value = self.pseudonym  # a dummy that keeps the instances of one patient together
            self.report.replaced += 1
            return
        if action == "Z":
            elem.value = Sequence([]) if elem.VR == "SQ" else None
            self.report.emptied += 1
            return
        # D and C: a dummy value of the right VR
        elem.value = self._dummy(elem.VR, elem.value)
        self.report.replaced += 1


def date_offset_days(key: str) -> int:
    """The per-patient date shift in days (between -3650 and -1) derived from a pseudonymous key (hex)."""
    return -(1 + int(key[:12], 16) % 3650)


def dataset_deidentify(
    ds: Dataset, *, pseudonym: str, date_offset_days: int, remap_uid: Callable[[str], str]
) -> DeidReport:
    """De-identify ``ds`` in place by the Basic Profile; return what was done.

    Parameters
    ----------
    ds
        A dataset as read by pydicom (with ``file_meta``); pixel data are not touched.
    pseudonym
        The value written to Patient ID (the platform's pseudonymous patient key, or a prefix of it).
    date_offset_days
        Days added to every surviving date of this patient (negative: into the past).
    remap_uid
        Maps a source UID to its replacement; must be deterministic so that references stay consistent.
    """
    worker = _Deidentifier(pseudonym=pseudonym, date_offset_days=date_offset_days, remap_uid=remap_uid)
    worker.report.burned_in_annotation = str(ds.get("BurnedInAnnotation", "")).upper() == "YES"
    worker.apply(ds)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        if "MediaStorageSOPInstanceUID" in meta and "SOPInstanceUID" in ds:
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        for keyword in ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle",
                        "ReceivingApplicationEntityTitle", "PrivateInformation",
                        "PrivateInformationCreatorUID"):  # fmt: skip
            if keyword in meta:
                delattr(meta, keyword)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = list(METHOD)
    codes = []
    for value, meaning in METHOD_CODES:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(codes)
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
    return worker.report

"""QIDO-RS query keys (PS3.18 8.3.4) and attribute matching (PS3.4 C.2.2.2), free of Django.

A query is ``{attributeID}={value}`` pairs (keyword or 8-digit hex tag; a repeated key, or a ``\\``
separated value, is a list: any value matches; UIDs may also be comma separated) plus ``limit``,
``offset``, ``includefield`` and ``fuzzymatching``. Matching per value representation:

- an empty value matches everything (universal matching) and asks for the attribute to be returned;
- UI: single value or list of UIDs, exact;
- DA, TM, DT: single value or range ``a-b``, ``-b``, ``a-`` (inclusive; dates ``YYYYMMDD``);
- numbers (IS, DS, US, ...): numeric equality;
- text (AE, CS, LO, SH, PN, ...): exact, or wildcard ``*`` (any run) and ``?`` (one character); PN is
  compared case-insensitively, everything else case-sensitively;
- a multi-valued attribute matches when any of its values matches.

Fuzzy matching is not performed (``fuzzymatching=true`` gets a Warning); sequence matching (keys with a
``.`` path or of VR SQ) is not supported: such a key is ignored with a Warning. An unknown key, a bulk data
attribute, a malformed value or a bad ``limit``/``offset`` is :class:`InvalidInput`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.tag import Tag

from readingroom.core.exceptions import InvalidInput

_CONTROL = {"limit", "offset", "includefield", "fuzzymatching", "accept"}
_BULK_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
_NUMBER_VRS = {"IS", "DS", "US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"}
_DATE = re.compile(r"[0-9]{8}", re.ASCII)
_TIME = re.compile(r"[0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?", re.ASCII)
_DATETIME = re.compile(r"[0-9]{4}([0-9]{2}){0,5}(\.[0-9]{1,6})?", re.ASCII)
_EXAMPLES = {"DA": "20240131 or 20240101-20240131", "TM": "0800-1230", "DT": "20240131080000-"}
# PS3.5 9.1: components of digits, no leading zero unless the component is 0; at most 64 characters.
_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*", re.ASCII)
_HEX_TAG = re.compile(r"[0-9A-Fa-f]{8}", re.ASCII)
# A value's characters: no control characters (a NUL or a line feed is never part of a matchable value).
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

Getter = Callable[[int], object]


def check_uid(value: str, *, name: str) -> str:
    """``value`` if it is a valid UID (PS3.5 9.1), else :class:`InvalidInput` naming ``name``."""
    if len(value) > 64 or not _UID.fullmatch(value):
        raise InvalidInput(
            f"{name}: {value[:80]!r} is not a valid UID (digits and dots, at most 64 characters)"
        )
    return value


def attribute_tag(text: str) -> int:
    """The tag of an attribute ID (keyword or 8-digit hex); :class:`InvalidInput` when it names nothing."""
    if _HEX_TAG.fullmatch(text):
        tag = int(text, 16)
        if keyword_for_tag(tag):
            return tag
    elif (tag := tag_for_keyword(text)) is not None:
        return tag
    raise InvalidInput(f"query parameter {text[:64]!r} is not a DICOM attribute keyword or tag, nor one of "
                       f"{', '.join(sorted(_CONTROL))}")  # fmt: skip


@dataclass(frozen=True)
class Key:
    """One matching key: the attribute and its values (empty: universal matching)."""

    tag: int
    vr: str
    values: tuple[str, ...]

    def matches(self, get: Getter) -> bool:
        if not self.values:
            return True
        found = _values_of(get(self.tag))
        return any(_match_one(self.vr, pattern, value) for pattern in self.values for value in found)


@dataclass
class Query:
    """A parsed QIDO-RS query."""

    keys: list[Key] = field(default_factory=list)
    include: set[int] = field(default_factory=set)
    include_all: bool = False
    limit: int | None = None
    offset: int = 0
    warnings: list[str] = field(default_factory=list)

    def matches(self, get: Getter) -> bool:
        return all(key.matches(get) for key in self.keys)

    def values_for(self, tag: int) -> tuple[str, ...]:
        return next((k.values for k in self.keys if k.tag == tag and k.values), ())


def _count(name: str, raw: list[str], minimum: int) -> int:
    text = raw[-1]
    if len(raw) > 1 or not re.fullmatch(r"[0-9]{1,9}", text, re.ASCII) or int(text) < minimum:
        raise InvalidInput(f"{name}={text[:20]!r} is not an integer of at least {minimum} (given once)")
    return int(text)


def _split(vr: str, raw: str) -> list[str]:
    if raw in ("", "*"):
        return []
    values = re.split(r"[\\,]" if vr == "UI" else r"\\", raw)
    return [v.strip(" ") if vr != "PN" else v.strip() for v in values]


def _check_value(name: str, vr: str, value: str) -> str:
    if _CONTROL_CHARS.search(value):
        raise InvalidInput(f"{name}: the value {value[:64]!r} contains a control character")
    if vr == "UI":
        if len(value) > 64 or not _UID.fullmatch(value):
            raise InvalidInput(
                f"{name}: {value[:64]!r} is not a valid UID (digits and dots, at most 64 characters)"
            )
    elif vr in ("DA", "TM", "DT"):
        pattern = {"DA": _DATE, "TM": _TIME, "DT": _DATETIME}[vr]
        ends = value.split("-")
        if len(ends) > 2 or not any(ends) or any(e and not pattern.fullmatch(e) for e in ends):
            raise InvalidInput(f"{name}: {value[:64]!r} is not a {vr} value or range (e.g. {_EXAMPLES[vr]})")
    elif vr in _NUMBER_VRS:
        try:
            float(value)
        except ValueError:
            raise InvalidInput(f"{name}: {value[:64]!r} is not a number") from None
    return value


def parse_query(params: Iterable[tuple[str, list[str]]], *, max_limit: int) -> Query:
    """A :class:`Query` from ``(name, values)`` pairs (a ``QueryDict``'s ``lists()``)."""
    query = Query()
    for name, raw in params:
        if name == "limit":
            query.limit = _count("limit", raw, 1)
            if query.limit > max_limit:
                query.warnings.append(f"limit {query.limit} exceeds the maximum of {max_limit} results per "
                                      f"response; {max_limit} returned, ask for more with offset")  # fmt: skip
                query.limit = max_limit
        elif name == "accept":
            continue  # content negotiation, handled by the view
        elif name == "offset":
            query.offset = _count("offset", raw, 0)
        elif name == "fuzzymatching":
            if any(v.lower() not in ("true", "false") for v in raw):
                raise InvalidInput("fuzzymatching must be true or false")
            if any(v.lower() == "true" for v in raw):
                query.warnings.append("The fuzzymatching parameter is not supported. Only literal matching "
                                      "has been performed.")  # fmt: skip
        elif name == "includefield":
            for item in (i.strip() for v in raw for i in v.split(",")):
                if item == "all":
                    query.include_all = True
                elif "." in item:
                    query.warnings.append(f"includefield {item[:64]}: sequence paths are not supported")
                elif item:
                    query.include.add(attribute_tag(item))
        elif "." in name:
            query.warnings.append(f"{name[:64]}: sequence matching is not supported; the key was ignored")
        else:
            tag = attribute_tag(name)
            vr = dictionary_VR(tag).split(" or ")[0]  # "US or SS": matched as the first (a number)
            if vr == "SQ":
                query.warnings.append(f"{name}: sequence matching is not supported; the key was ignored")
                query.include.add(tag)
                continue
            if vr in _BULK_VRS:
                raise InvalidInput(f"{name}: bulk data attributes cannot be matched")
            values = tuple(_check_value(name, vr, v) for r in raw for v in _split(vr, r))
            query.keys.append(Key(tag=Tag(tag), vr=vr, values=values if "" not in raw else ()))
    return query


def _values_of(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [str(v) for v in value]
    return [str(value)]


def _as_time(text: str) -> str:
    # HH[MM[SS[.F{1,6}]]] padded so that times compare as strings.
    head, _, frac = text.partition(".")
    return head.ljust(6, "0") + "." + frac.ljust(6, "0")


def _in_range(vr: str, pattern: str, value: str) -> bool:
    if not value:
        return False
    low, _, high = pattern.partition("-") if "-" in pattern else (pattern, "", pattern)
    if vr == "TM":
        value, low, high = _as_time(value), low and _as_time(low), high and _as_time(high)
    # A bound compares with as many leading characters of the value as it has (a date bound of a DT).
    return (not low or value[: len(low)] >= low) and (not high or value[: len(high)] <= high)


def _wildcard(pattern: str, *, case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, 0 if case else re.IGNORECASE)


def _match_one(vr: str, pattern: str, value: str) -> bool:
    if vr in ("DA", "TM", "DT"):
        return _in_range(vr, pattern, value.strip())
    if vr in _NUMBER_VRS:
        try:
            return float(pattern) == float(value)
        except ValueError:
            return False
    value = value.strip(" ")
    case = vr != "PN"
    if vr != "UI" and ("*" in pattern or "?" in pattern):
        return _wildcard(pattern, case=case).fullmatch(value) is not None
    return pattern == value if case else pattern.casefold() == value.casefold()

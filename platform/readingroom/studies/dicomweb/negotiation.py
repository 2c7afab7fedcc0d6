"""Content negotiation for WADO-RS (PS3.18 8.7): the ``Accept`` header, parsed into media ranges, and the
choice among what the server can produce.

A media range is a type, its parameters (``type`` and ``transfer-syntax`` of ``multipart/related``) and
its quality ``q``. Ranges are tried from the highest quality down; within one quality in the order given;
``q=0`` excludes a range. A missing or empty ``Accept`` is ``*/*``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from readingroom.core.exceptions import ReadingRoomError


class NotAcceptable(ReadingRoomError):
    """Nothing the client accepts can be produced for this resource (HTTP 406)."""

    status_code = 406


_TOKEN = re.compile(r'\s*([^\s;,=]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?\s*')


@dataclass(frozen=True)
class MediaRange:
    """One media range of an ``Accept`` header, lower-cased except parameter values."""

    media_type: str
    params: dict[str, str] = field(default_factory=dict)
    q: float = 1.0

    def covers(self, media_type: str) -> bool:
        """Whether this range's type (``*/*``, ``image/*`` or exact) covers ``media_type``."""
        return media_range_covers(self.media_type, media_type)


def media_range_covers(pattern: str, media_type: str) -> bool:
    if pattern in ("*/*", "*"):
        return True
    if pattern.endswith("/*"):
        return media_type.startswith(pattern[:-1])
    return pattern == media_type


def _parse_one(text: str) -> MediaRange | None:
    media_type, params, q = "", {}, 1.0
    for index, item in enumerate(text.split(";")):
        match = _TOKEN.fullmatch(item)
        if match is None:
            raise NotAcceptable(f"Accept: cannot parse {text.strip()!r}")
        name, value = match.group(1), match.group(2)
        if index == 0:
            media_type = name.lower()
            continue
        if value is None:
            continue
        value = value[1:-1] if value.startswith('"') else value
        if name.lower() == "q":
            try:
                q = float(value)
            except ValueError:
                raise NotAcceptable(f"Accept: q={value!r} is not a number") from None
        else:
            params[name.lower()] = value
    return MediaRange(media_type, params, q) if media_type else None


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, best first (``q=0`` dropped); ``*/*`` when there are none."""
    parts, depth, start, text = [], False, 0, header or ""
    for i, char in enumerate(text):
        if char == '"':
            depth = not depth
        elif char == "," and not depth:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    ranges = [r for r in (_parse_one(p) for p in parts if p.strip()) if r is not None and r.q > 0]
    ranges = sorted(ranges, key=lambda r: -r.q)
    return ranges or [MediaRange("*/*")]


@dataclass(frozen=True)
class Offer:
    """Something the server can send: a part media type and its transfer syntax (or ``""`` for none)."""

    media_type: str
    transfer_syntax: str = ""


def choose(
    ranges: Sequence[MediaRange],
    offers: Sequence[Offer],
    *,
    multipart: bool,
    what: str,
    any_syntax: Offer | None = None,
) -> Offer:
    """The first of ``offers`` (the server's order of preference) that the best acceptable range allows.

    With ``multipart`` the offers are part types of a ``multipart/related`` response: a range must be
    ``*/*``, ``multipart/*`` or ``multipart/related``; its ``type`` parameter (default: the first offer's
    media type) selects the part type, and its ``transfer-syntax`` (default: the first offer of that type,
    ``*``: any, ``any_syntax`` first where given) the syntax. Without ``multipart`` the range's type is matched against each offer's type.
    :class:`NotAcceptable` names what was asked and what ``what`` can be sent as.
    """
    for accepted in ranges:
        if any_syntax is not None and accepted.params.get("transfer-syntax") == "*":
            if _allows(accepted, any_syntax, offers, multipart=multipart):
                return any_syntax
        for offer in offers:
            if _allows(accepted, offer, offers, multipart=multipart):
                return offer
    asked = ", ".join(_describe(r) for r in ranges)
    can = ", ".join(
        f'multipart/related; type="{o.media_type}"; transfer-syntax={o.transfer_syntax}'
        if multipart and o.transfer_syntax
        else o.media_type
        for o in offers
    )
    raise NotAcceptable(f"{what} cannot be sent as {asked}; it can be sent as: {can}")


def _allows(accepted: MediaRange, offer: Offer, offers: Sequence[Offer], *, multipart: bool) -> bool:
    if not multipart:
        return accepted.covers(offer.media_type)
    if not media_range_covers(accepted.media_type, "multipart/related"):
        return False
    part = accepted.params.get("type", "").lower()
    if part and not media_range_covers(part, offer.media_type):
        return False
    if not part and offer.media_type != offers[0].media_type and accepted.media_type == "multipart/related":
        return False
    syntax = accepted.params.get("transfer-syntax", "")
    if syntax == "*":
        return True
    if syntax:
        return syntax == offer.transfer_syntax
    default = next((o for o in offers if o.media_type == offer.media_type), offer)
    return default.transfer_syntax == offer.transfer_syntax


def _describe(accepted: MediaRange) -> str:
    params = "".join(f"; {k}={v}" for k, v in accepted.params.items())
    return f"{accepted.media_type}{params}"

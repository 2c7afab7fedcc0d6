"""Frames of the gaze WebSocket: JSON text frames and MessagePack binary frames, with their size limit.

A text frame holds one JSON object. A binary frame holds one MessagePack map with the same keys; in it the
sample arrays ``t``, ``x``, ``y`` may be MessagePack arrays or ``bin`` strings of little-endian float64
(``valid``: one byte 0/1 per sample), which the server reads without converting number by number. A binary
frame that starts with ``{`` is read as JSON (a MessagePack message is always a map, never starts so).
Replies use the format of the message they answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

from readingroom.core.exceptions import InvalidInput


@dataclass(frozen=True)
class Frame:
    """A decoded client message; ``binary``: it came as MessagePack (answer in kind)."""

    message: dict[str, Any]
    binary: bool


def frame_size(text: str | None, data: bytes | None) -> int:
    """The frame's size in bytes (a text frame's UTF-8 length is at least its length in characters)."""
    if text is not None:
        return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return len(data or b"")


def frame_decode(text: str | None, data: bytes | None) -> Frame:
    """Decode one frame; :class:`InvalidInput` says what is wrong with it."""
    binary = text is None and not (data or b"").startswith(b"{")
    try:
        if binary:
            message = msgpack.unpackb(data or b"", raw=False, strict_map_key=True)
        else:
            message = json.loads(text if text is not None else data)
    except RecursionError:
        raise InvalidInput("message is not valid JSON: it nests too deep") from None
    except msgpack.StackError:
        raise InvalidInput("message is not valid MessagePack: it nests too deep") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, msgpack's errors, huge integers
        kind = "MessagePack" if binary else "JSON"
        raise InvalidInput(f"message is not valid {kind}: {str(exc)[:120]}") from None
    if not isinstance(message, dict):
        raise InvalidInput("message must be a JSON object (a MessagePack map)")
    return Frame(message=message, binary=binary)


def reply_encode(message: dict[str, Any], *, binary: bool) -> dict[str, Any]:
    """Keyword arguments of the consumer's ``send`` for a reply in the client's format."""
    if binary:
        return {"bytes_data": msgpack.packb(message)}
    return {"text_data": json.dumps(message, separators=(",", ":"), allow_nan=False)}

"""Exceptions of ``gaze_capture``: every error the library raises is a :class:`GazeCaptureError`."""

from __future__ import annotations

__all__ = [
    "GazeCaptureError",
    "InvalidSamplesError",
    "NonMonotonicTimeError",
    "EmptyInputError",
    "GeometryError",
    "ParameterError",
    "UnknownNameError",
    "FormatError",
    "DeviceError",
    "DeviceDisconnectedError",
    "DeviceUnavailableError",
]


class GazeCaptureError(Exception):
    """Base class of every exception raised by ``gaze_capture``."""


class InvalidSamplesError(GazeCaptureError, ValueError):
    """Sample arrays are malformed; ``index`` names the first bad sample when there is one."""

    def __init__(self, message: str, *, index: int | None = None, field: str | None = None) -> None:
        self.index = index
        self.field = field
        where = []
        if field is not None:
            where.append(f"field {field!r}")
        if index is not None:
            where.append(f"sample index {index}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class NonMonotonicTimeError(InvalidSamplesError):
    """Timestamps go backwards (or are NaN) at ``index``."""


class EmptyInputError(GazeCaptureError, ValueError):
    """An operation received no samples, no fixations, or nothing inside the region it needs."""


class GeometryError(GazeCaptureError, ValueError):
    """A screen geometry, view or region is degenerate (zero size, negative distance, unsorted views)."""


class ParameterError(GazeCaptureError, ValueError):
    """A detector, prior or simulator parameter is out of range."""


class UnknownNameError(GazeCaptureError, KeyError):
    """A registry (detectors, devices, formats) has no entry of that name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FormatError(GazeCaptureError, ValueError):
    """A file is malformed; the message names the file and the 1-based line."""

    def __init__(self, message: str, *, path: object = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{':'.join(where)}: {message}" if where else message)


class DeviceError(GazeCaptureError):
    """A device adapter failed (connection refused, protocol violation, SDK error)."""


class DeviceDisconnectedError(DeviceError, ConnectionError):
    """The device went away while connected or streaming."""


class DeviceUnavailableError(DeviceError):
    """The adapter's vendor SDK is not installed or no device was found."""

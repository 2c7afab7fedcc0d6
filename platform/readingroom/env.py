"""Typed readers for settings that come from the environment.

Every setting of the platform is read here from an environment variable, with a safe default for the
embedded mode. ``NAME_FILE`` (a path to a file holding the value) is accepted wherever ``NAME`` is, so that
secrets can come from Docker secrets or a mounted volume.
"""

from __future__ import annotations

import os
from pathlib import Path


class SettingError(RuntimeError):
    """A setting read from the environment is malformed or unsafe."""


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable ``name``, or the contents of the file named by ``name_FILE``, or ``default``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={file_path!r} cannot be read: {exc.strerror}") from exc
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean: 1/true/yes/on or 0/false/no/off (case-insensitive)."""
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={value!r} is not a boolean (use true/false)")


def env_int(name: str, default: int) -> int:
    """Read an integer."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingError(f"{name}={value!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    """Read a float."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SettingError(f"{name}={value!r} is not a number") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are dropped."""
    value = env_str(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]

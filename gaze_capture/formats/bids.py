"""BIDS eye-tracking recordings: ``*_physio.tsv.gz`` (no header) with a JSON sidecar naming the columns.

The sidecar carries ``SamplingFrequency``, ``StartTime``, ``Columns``, ``PhysioType`` ("eyetrack"),
``SampleCoordinateSystem``, ``SampleCoordinateUnits``, ``EnvironmentCoordinates``, ``RecordedEye``,
``ScreenSize`` (m), ``ScreenResolution`` (px), ``ScreenDistance`` (m), and per-column ``Units``.
Missing values are ``n/a``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..geometry import ScreenGeometry
from ..samples import Samples
from ._csv import column_float, read_table, write_table

__all__ = ["write_bids_physio", "read_bids_physio", "sidecar_path"]

_COLUMNS = ["timestamp", "x_coordinate", "y_coordinate", "pupil_size"]


def sidecar_path(tsv_path: str | Path) -> Path:
    """The JSON sidecar beside ``*_physio.tsv.gz``."""
    p = Path(tsv_path)
    name = p.name
    for suffix in (".tsv.gz", ".tsv"):
        if name.endswith(suffix):
            return p.with_name(name[: -len(suffix)] + ".json")
    raise FormatError("a BIDS physio file name must end in .tsv.gz or .tsv", path=p)


def write_bids_physio(
    path: str | Path,
    samples: Samples,
    *,
    sampling_frequency_hz: float,
    geometry: ScreenGeometry | None = None,
    recorded_eye: str = "cyclopean",
    manufacturer: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write samples (screen pixels, ms) as ``*_physio.tsv.gz`` plus sidecar; returns the sidecar path.

    Parameters
    ----------
    path : str or Path
        Must end in ``_physio.tsv.gz``.
    samples : Samples
    sampling_frequency_hz : float
        Nominal rate, Hz.
    geometry : ScreenGeometry, optional
        Written as ScreenSize, ScreenResolution, ScreenDistance.
    recorded_eye : str
        "left", "right" or "cyclopean" (average).
    manufacturer : str, optional
    extra : dict, optional
        More sidecar fields.
    """
    p = Path(path)
    if not p.name.endswith("_physio.tsv.gz"):
        raise FormatError("BIDS eye-tracking data must be named *_physio.tsv.gz", path=p)
    pupil = samples.pupil if samples.pupil is not None else np.full(len(samples), np.nan)
    write_table(p, _COLUMNS, [samples.t_ms, samples.x, samples.y, pupil], delimiter="\t", write_header=False)
    side: dict[str, Any] = {
        "PhysioType": "eyetrack",
        "SamplingFrequency": float(sampling_frequency_hz),
        "StartTime": 0.0,
        "Columns": list(_COLUMNS),
        "timestamp": {"Description": "device clock", "Units": "ms"},
        "x_coordinate": {"Units": "pixel"},
        "y_coordinate": {"Units": "pixel"},
        "pupil_size": {"Units": "arbitrary"},
        "SampleCoordinateSystem": "gaze-on-screen",
        "SampleCoordinateUnits": "pixel",
        "EnvironmentCoordinates": "top-left",
        "RecordedEye": recorded_eye,
    }
    if manufacturer:
        side["Manufacturer"] = manufacturer
    if geometry is not None:
        side["ScreenSize"] = [geometry.width_mm / 1000.0, geometry.height_mm / 1000.0]
        side["ScreenResolution"] = [geometry.width_px, geometry.height_px]
        side["ScreenDistance"] = geometry.distance_mm / 1000.0
    side.update(extra or {})
    sp = sidecar_path(p)
    sp.write_text(json.dumps(side, indent=2) + "\n", encoding="utf-8")
    return sp


def read_bids_physio(path: str | Path) -> tuple[Samples, dict[str, Any], ScreenGeometry | None]:
    """Read ``*_physio.tsv.gz`` and its sidecar.

    Returns
    -------
    samples : Samples
        ``n/a`` positions are invalid samples; timestamps converted to ms when the sidecar gives seconds.
    sidecar : dict
    geometry : ScreenGeometry or None
        From ScreenSize/ScreenResolution/ScreenDistance when all are present.

    Raises
    ------
    FormatError
        Missing or malformed sidecar, missing required columns, ragged rows, non-numbers, time going
        backwards (naming file and line).
    """
    p = Path(path)
    sp = sidecar_path(p)
    try:
        side = json.loads(sp.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("missing JSON sidecar", path=sp) from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", path=sp, line=exc.lineno) from None
    for key in ("SamplingFrequency", "Columns"):
        if key not in side:
            raise FormatError(f"sidecar lacks required field {key!r}", path=sp)
    names = [str(c) for c in side["Columns"]]
    head, body = read_table(
        p, ("timestamp", "x_coordinate", "y_coordinate"), delimiter="\t", header=False, names=names
    )
    t = column_float(p, head, body, "timestamp", header=False)
    x = column_float(p, head, body, "x_coordinate", header=False, allow_empty=True)
    y = column_float(p, head, body, "y_coordinate", header=False, allow_empty=True)
    pupil = (
        column_float(p, head, body, "pupil_size", header=False, allow_empty=True)
        if "pupil_size" in head
        else None
    )
    units = (
        str(side.get("timestamp", {}).get("Units", "ms")) if isinstance(side.get("timestamp"), dict) else "ms"
    )
    if units in ("s", "second", "seconds"):
        t = t * 1000.0
    try:
        samples = Samples.from_arrays(t, x, y, pupil=pupil)
    except Exception as exc:
        index = getattr(exc, "index", None)
        raise FormatError(str(exc), path=p, line=None if index is None else index + 1) from exc
    geom = None
    if all(k in side for k in ("ScreenSize", "ScreenResolution", "ScreenDistance")):
        w_m, h_m = side["ScreenSize"]
        w_px, h_px = side["ScreenResolution"]
        geom = ScreenGeometry(
            int(w_px), int(h_px), float(w_m) * 1000, float(h_m) * 1000, float(side["ScreenDistance"]) * 1000
        )
    return samples, side, geom

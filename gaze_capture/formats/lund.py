"""Reader for the Lund 2013 hand-labelled eye-movement CSVs (see the data set's SOURCE.md).

Columns ``t_us,pupil_h,pupil_v,x_px,y_px,label``; 500 Hz; ``(x, y) == (0, 0)`` means lost tracking; labels
1 fixation, 2 saccade, 3 PSO, 4 smooth pursuit, 5 blink, 6 undefined.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError
from ..geometry import ScreenGeometry
from ..samples import Samples
from ._csv import column_float, read_table

__all__ = ["read_lund_csv", "lund_recordings", "LundRecording", "LUND_GEOMETRY", "LUND_RATE_HZ"]

#: Screen of the Lund 2013 recordings: 1024x768 px, 380x300 mm, viewed from 670 mm.
LUND_GEOMETRY = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
LUND_RATE_HZ = 500.0

_COLUMNS = ("t_us", "pupil_h", "pupil_v", "x_px", "y_px", "label")


def read_lund_csv(path: str | Path, *, clock: str = "nominal") -> tuple[Samples, NDArray[np.int8]]:
    """Read one Lund 2013 CSV file.

    Parameters
    ----------
    path : str or Path
        A ``csv/<stimulus>/<name>.csv`` file of the data set.
    clock : {"nominal", "recorded"}
        ``"nominal"`` (default) times samples at exactly 500 Hz from 0 ms, as the published analyses do
        (some files end with a corrupt timestamp); ``"recorded"`` uses ``t_us`` and raises a
        :class:`FormatError` where it goes backwards.

    Returns
    -------
    samples : Samples
        Time in ms (see ``clock``), screen pixels, validity
        (False where ``(x, y) == (0, 0)``), pupil (mean of the two pupil axes).
    labels : ndarray of int8, shape (n,)
        The coder's per-sample labels (see :class:`gaze_capture.EventLabel`).

    Raises
    ------
    FormatError
        Missing columns, ragged rows, non-numeric cells or an unknown label, naming file and line.
    """
    head, body = read_table(path, _COLUMNS)
    if not body:
        raise FormatError("no samples", path=path, line=2)
    cols = {c: column_float(path, head, body, c, allow_empty=True) for c in _COLUMNS}
    lab = cols["label"]
    bad = ~np.isin(lab, np.arange(0, 7))
    if bad.any():
        i = int(np.argmax(bad))
        raise FormatError(f"label {lab[i]!r} is not one of 0..6", path=path, line=i + 2)
    t_us = cols["t_us"]
    if clock not in ("nominal", "recorded"):
        raise FormatError(f"clock must be 'nominal' or 'recorded', got {clock!r}", path=path)
    if clock == "nominal" or np.isnan(t_us).any():
        t_ms = np.arange(len(body)) * (1000.0 / LUND_RATE_HZ)
    else:
        t_ms = (t_us - t_us[0]) / 1000.0
    x, y = cols["x_px"], cols["y_px"]
    valid = ~((x == 0) & (y == 0)) & np.isfinite(x) & np.isfinite(y)
    try:
        samples = Samples.from_arrays(t_ms, x, y, valid, 0.5 * (cols["pupil_h"] + cols["pupil_v"]))
    except FormatError:
        raise
    except Exception as exc:  # NonMonotonicTimeError and friends: re-raise naming the file line
        index = getattr(exc, "index", None)
        raise FormatError(str(exc), path=path, line=None if index is None else index + 2) from exc
    return samples, lab.astype(np.int8)


@dataclass(frozen=True, eq=False)
class LundRecording:
    """One recording of the Lund 2013 set with both coders' labels (truncated to the shorter file)."""

    stimulus: str
    participant: str
    trial: str
    samples: Samples
    labels: dict[str, NDArray[np.int8]]


def lund_recordings(
    root: str | Path, stimulus: str | None = None, participant: str | None = None
) -> list[LundRecording]:
    """All recordings of the data set under ``root`` (the folder holding ``files_index.csv``).

    Files of the same stimulus, participant and trial are paired across coders; both label arrays and the
    samples are truncated to the shorter file (two files differ by one sample).

    Parameters
    ----------
    root : str or Path
        Data set folder.
    stimulus : {"img", "dots", "video"}, optional
        Only this stimulus type.
    participant : str, optional
        Only this participant (e.g. ``"UH21"``).
    """
    base = Path(root)
    head, body = read_table(
        base / "files_index.csv", ("csv", "stimulus_type", "participant", "trial", "coder")
    )
    col = {c: head.index(c) for c in ("csv", "stimulus_type", "participant", "trial", "coder")}
    groups: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in body:
        key = (r[col["stimulus_type"]], r[col["participant"]], r[col["trial"]])
        if (stimulus is not None and key[0] != stimulus) or (
            participant is not None and key[1] != participant
        ):
            continue
        groups.setdefault(key, {})[r[col["coder"]]] = r[col["csv"]]
    out = []
    for key in sorted(groups):
        files = groups[key]
        loaded = {coder: read_lund_csv(base / rel) for coder, rel in sorted(files.items())}
        n = min(len(s) for s, _ in loaded.values())
        first = next(iter(loaded.values()))[0]
        samples = first.mask(np.arange(len(first)) < n)
        out.append(
            LundRecording(key[0], key[1], key[2], samples, {c: lab[:n] for c, (_, lab) in loaded.items()})
        )
    return out

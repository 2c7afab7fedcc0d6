"""EGD-CXR fixation exports (Gazepoint columns).

Each row is a Gazepoint fixation record: ``TIME`` (s from the start of the session), ``FPOGX``/``FPOGY``
(fixation point of gaze, normalised screen units 0..1), ``FPOGD`` (duration, s), ``FPOGID`` (fixation id),
``FPOGV`` (1 valid), and ``X_ORIGINAL``/``Y_ORIGINAL`` (the point in original image pixels), with
``SESSION_ID`` and ``DICOM_ID``. A fixation may span several rows with the same ``FPOGID``; its last valid
row carries the final duration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import FormatError, InvalidSamplesError
from ..samples import Fixations
from ._csv import column_float, read_table, write_table
from .reflacx import Word

__all__ = [
    "EGD_COLUMNS",
    "EgdFixations",
    "read_egdcxr_fixations",
    "write_egdcxr_fixations",
    "read_egdcxr_transcript",
    "write_egdcxr_transcript",
]

EGD_COLUMNS = (
    "SESSION_ID",
    "DICOM_ID",
    "TIME",
    "FPOGX",
    "FPOGY",
    "FPOGD",
    "FPOGID",
    "FPOGV",
    "X_ORIGINAL",
    "Y_ORIGINAL",
)


@dataclass(frozen=True, eq=False)
class EgdFixations:
    """Fixations of one image: ``fixations`` in original image pixels (ms), ``screen_x``/``screen_y`` in
    normalised screen units, and the Gazepoint fixation ids."""

    session_id: str
    dicom_id: str
    fixations: Fixations
    screen_x: NDArray[np.float64]
    screen_y: NDArray[np.float64]
    fixation_id: NDArray[np.int64]


def read_egdcxr_fixations(path: str | Path) -> dict[str, EgdFixations]:
    """Read an EGD-CXR ``fixations.csv``; one :class:`EgdFixations` per ``DICOM_ID`` (file order kept).

    Invalid rows (``FPOGV`` != 1) are skipped; rows of the same ``FPOGID`` collapse to one fixation with
    onset = first ``TIME``, duration = largest ``FPOGD``, position = last valid row.

    Raises
    ------
    FormatError
        Missing columns, non-numbers, negative durations, time going backwards within an image.
    """
    p = Path(path)
    head, body = read_table(p, EGD_COLUMNS)
    num = {c: column_float(p, head, body, c) for c in EGD_COLUMNS if c not in ("SESSION_ID", "DICOM_ID")}
    js, jd = head.index("SESSION_ID"), head.index("DICOM_ID")
    if (num["FPOGD"] < 0).any():
        raise FormatError("negative FPOGD", path=p, line=int(np.argmax(num["FPOGD"] < 0)) + 2)
    out: dict[str, EgdFixations] = {}
    order: dict[str, list[int]] = {}
    for i, r in enumerate(body):
        order.setdefault(r[jd], []).append(i)
    for dicom, rows in order.items():
        idx = np.array(rows)
        t = num["TIME"][idx]
        back = np.diff(t) < 0
        if back.any():
            raise FormatError(
                f"TIME goes backwards for DICOM_ID {dicom}", path=p, line=int(idx[np.argmax(back) + 1]) + 2
            )
        valid = num["FPOGV"][idx] == 1
        idx, t = idx[valid], t[valid]
        fid = num["FPOGID"][idx].astype(np.int64)
        new = np.concatenate(([True], fid[1:] != fid[:-1])) if fid.size else np.zeros(0, bool)
        first = np.flatnonzero(new)
        last = np.append(first[1:], fid.size) - 1
        onset = t[first] * 1000.0
        dur = np.maximum.reduceat(num["FPOGD"][idx], first) * 1000.0 if first.size else np.empty(0)
        out[dicom] = EgdFixations(
            session_id=body[rows[0]][js],
            dicom_id=dicom,
            fixations=Fixations(
                onset_ms=onset,
                offset_ms=onset + dur,
                duration_ms=dur,
                x=num["X_ORIGINAL"][idx][last],
                y=num["Y_ORIGINAL"][idx][last],
            ),
            screen_x=num["FPOGX"][idx][last],
            screen_y=num["FPOGY"][idx][last],
            fixation_id=fid[last],
        )
    return out


def write_egdcxr_fixations(
    path: str | Path,
    items: list[EgdFixations] | None = None,
    *,
    session_id: str | None = None,
    dicom_id: str | None = None,
    fixations: Fixations | None = None,
    screen_x: ArrayLike | None = None,
    screen_y: ArrayLike | None = None,
) -> None:
    """Write fixations in the EGD-CXR layout, one row per fixation (``FPOGV`` = 1, ids from 1).

    Pass either ``items`` (several images) or one image's ``session_id``, ``dicom_id``, ``fixations``
    (original image pixels, ms) and normalised screen positions ``screen_x``/``screen_y``.
    """
    if items is None:
        if (
            fixations is None
            or session_id is None
            or dicom_id is None
            or screen_x is None
            or screen_y is None
        ):
            raise InvalidSamplesError("give items, or session_id, dicom_id, fixations, screen_x and screen_y")
        k = len(fixations)
        items = [
            EgdFixations(
                session_id,
                dicom_id,
                fixations,
                np.asarray(screen_x, float),
                np.asarray(screen_y, float),
                np.arange(1, k + 1, dtype=np.int64),
            )
        ]
    cols: list[list[object]] = [[] for _ in EGD_COLUMNS]
    for it in items:
        f = it.fixations
        for i in range(len(f)):
            row = (
                it.session_id,
                it.dicom_id,
                float(f.onset_ms[i]) / 1000.0,
                float(it.screen_x[i]),
                float(it.screen_y[i]),
                float(f.duration_ms[i]) / 1000.0,
                int(it.fixation_id[i]),
                1,
                float(f.x[i]),
                float(f.y[i]),
            )
            for c, v in zip(cols, row, strict=True):
                c.append(v)
    write_table(path, EGD_COLUMNS, cols)


def read_egdcxr_transcript(path: str | Path) -> tuple[str, list[Word]]:
    """Read an EGD-CXR transcript JSON: ``{"full_text": str, "time_stamped_text": [{"phrase": str,
    "begin_time": s, "end_time": s}, ...]}``; returns the full text and the phrases with ms spans."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("file not found", path=p) from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", path=p, line=exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("time_stamped_text"), list):
        raise FormatError("expected an object with a 'time_stamped_text' list", path=p)
    out = []
    for i, item in enumerate(doc["time_stamped_text"]):
        try:
            w = Word(
                str(item["phrase"]), float(item["begin_time"]) * 1000.0, float(item["end_time"]) * 1000.0
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"time_stamped_text[{i}] is malformed: {exc!r}", path=p) from None
        if w.end_ms < w.start_ms:
            raise FormatError(f"time_stamped_text[{i}] ends before it starts", path=p)
        out.append(w)
    return str(doc.get("full_text", " ".join(w.word for w in out))), out


def write_egdcxr_transcript(path: str | Path, phrases: list[Word], full_text: str | None = None) -> None:
    """Write an EGD-CXR transcript JSON (times in seconds)."""
    doc = {
        "full_text": full_text if full_text is not None else " ".join(w.word for w in phrases),
        "time_stamped_text": [
            {"phrase": w.word, "begin_time": w.start_ms / 1000.0, "end_time": w.end_ms / 1000.0}
            for w in phrases
        ],
    }
    Path(path).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")

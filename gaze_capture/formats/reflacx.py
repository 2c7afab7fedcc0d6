"""REFLACX files: ``fixations.csv``, ``gaze.csv`` and ``timestamps_transcription.csv``.

REFLACX stores times in seconds from the start of the case and positions in image pixels, with the
viewer state (window, displayed image region, its on-screen rectangle, pixels per degree) on every row.
Here times are milliseconds and each distinct consecutive viewer state becomes a :class:`View`.
Missing values (a lost eye's position, an unknown pupil size) are written as empty cells, as REFLACX has
them, and read from empty cells or ``n/a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import FormatError, InvalidSamplesError
from ..geometry import View
from ..samples import Fixations, Samples
from ._csv import column_float, read_table, write_table

__all__ = [
    "FIXATION_COLUMNS",
    "GAZE_COLUMNS",
    "TRANSCRIPTION_COLUMNS",
    "ReflacxFixations",
    "ReflacxGaze",
    "Word",
    "read_reflacx_fixations",
    "write_reflacx_fixations",
    "read_reflacx_gaze",
    "write_reflacx_gaze",
    "read_reflacx_transcription",
    "write_reflacx_transcription",
]

_VIEW_COLUMNS = (
    "angular_resolution_x_pixels_per_degree",
    "angular_resolution_y_pixels_per_degree",
    "window_width",
    "window_level",
    "xmin_shown_from_image",
    "ymin_shown_from_image",
    "xmax_shown_from_image",
    "ymax_shown_from_image",
    "xmin_in_screen_coordinates",
    "ymin_in_screen_coordinates",
    "xmax_in_screen_coordinates",
    "ymax_in_screen_coordinates",
)
FIXATION_COLUMNS = (
    "timestamp_start_fixation",
    "timestamp_end_fixation",
    "x_position",
    "y_position",
    "pupil_area_normalized",
    *_VIEW_COLUMNS,
)
GAZE_COLUMNS = ("timestamp_sample", "x_position", "y_position", "pupil_area_normalized", *_VIEW_COLUMNS)
TRANSCRIPTION_COLUMNS = ("word", "timestamp_start_word", "timestamp_end_word")


@dataclass(frozen=True, eq=False)
class ReflacxFixations:
    """Contents of a REFLACX ``fixations.csv`` (times in ms, positions in image pixels).

    ``view_index[i]`` is the index into ``views`` of row ``i``; ``ppd_x``/``ppd_y`` are per row.
    """

    fixations: Fixations
    pupil: NDArray[np.float64]
    ppd_x: NDArray[np.float64]
    ppd_y: NDArray[np.float64]
    views: list[View]
    view_index: NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class ReflacxGaze:
    """Contents of a REFLACX ``gaze.csv``: samples in image pixels (ms) with their viewer states."""

    samples: Samples
    ppd_x: NDArray[np.float64]
    ppd_y: NDArray[np.float64]
    views: list[View]
    view_index: NDArray[np.intp]


@dataclass(frozen=True)
class Word:
    """A transcribed word and its time span in ms."""

    word: str
    start_ms: float
    end_ms: float


def _view_columns(
    n: int, views: Sequence[View], view_index: ArrayLike, ppd_x: ArrayLike | float, ppd_y: ArrayLike | float
) -> list[NDArray[np.float64]]:
    idx = np.asarray(view_index, dtype=np.intp)
    if idx.shape != (n,):
        raise InvalidSamplesError(f"view_index must have one entry per row ({n}), got shape {idx.shape}")
    if n and (idx.min() < 0 or idx.max() >= len(views)):
        bad = int(np.argmax((idx < 0) | (idx >= len(views))))
        raise InvalidSamplesError(f"view_index {idx[bad]} is not a valid view", index=bad, field="view_index")
    ww = np.array([np.nan if v.window_width is None else v.window_width for v in views] or [np.nan])
    wl = np.array([np.nan if v.window_level is None else v.window_level for v in views] or [np.nan])
    shown = np.array([v.image_region for v in views] or [(np.nan,) * 4])
    screen = np.array([v.screen_rect for v in views] or [(np.nan,) * 4])
    px = np.broadcast_to(np.asarray(ppd_x, dtype=float), (n,))
    py = np.broadcast_to(np.asarray(ppd_y, dtype=float), (n,))
    return [px, py, ww[idx], wl[idx], *shown[idx].T, *screen[idx].T]


def _views_from_rows(
    path: Path,
    t_ms: NDArray[np.float64],
    cols: dict[str, NDArray[np.float64]],
    image_shape: tuple[int, int] | None,
) -> tuple[list[View], NDArray[np.intp]]:
    keys = _VIEW_COLUMNS[2:]
    state = np.stack([cols[k] for k in keys], axis=1)  # (n, 10)
    n = state.shape[0]
    if n == 0:
        return [], np.empty(0, np.intp)
    same = np.all((state[1:] == state[:-1]) | (np.isnan(state[1:]) & np.isnan(state[:-1])), axis=1)
    new = np.concatenate(([True], ~same))
    starts = np.flatnonzero(new)
    if image_shape is None:
        image_shape = (
            int(np.ceil(np.nanmax(cols["ymax_shown_from_image"]))),
            int(np.ceil(np.nanmax(cols["xmax_shown_from_image"]))),
        )
    views = []
    for s in starts:
        ww, wl, *rest = state[s]
        try:
            views.append(
                View(
                    t_ms=float(t_ms[s]),
                    image_region=tuple(rest[0:4]),  # type: ignore[arg-type]
                    screen_rect=tuple(rest[4:8]),  # type: ignore[arg-type]
                    image_shape=image_shape,
                    window_width=None if np.isnan(ww) else float(ww),
                    window_level=None if np.isnan(wl) else float(wl),
                )
            )
        except Exception as exc:
            raise FormatError(f"invalid viewer state: {exc}", path=path, line=int(s) + 2) from exc
    return views, (np.cumsum(new) - 1).astype(np.intp)


def write_reflacx_fixations(
    path: str | Path,
    fixations: Fixations,
    *,
    views: Sequence[View],
    view_index: ArrayLike,
    ppd_x: ArrayLike | float,
    ppd_y: ArrayLike | float,
    pupil: ArrayLike | None = None,
) -> None:
    """Write fixations (image pixels, ms) as a REFLACX ``fixations.csv`` (times in seconds).

    Parameters
    ----------
    path : str or Path
    fixations : Fixations
        Positions in image pixels; times in ms on the case clock.
    views : sequence of View
        Viewer states; ``view_index`` (shape (k,)) says which applied to each fixation.
    ppd_x, ppd_y : float or array_like (k,)
        Pixels per degree (screen) per fixation.
    pupil : array_like (k,), optional
        Normalised pupil area (NaN written as empty when absent).
    """
    k = len(fixations)
    p = np.full(k, np.nan) if pupil is None else np.asarray(pupil, dtype=float)
    cols = [fixations.onset_ms / 1000.0, fixations.offset_ms / 1000.0, fixations.x, fixations.y, p]
    write_table(
        path, FIXATION_COLUMNS, [*cols, *_view_columns(k, views, view_index, ppd_x, ppd_y)], missing=""
    )


def read_reflacx_fixations(
    path: str | Path, *, image_shape: tuple[int, int] | None = None
) -> ReflacxFixations:
    """Read a REFLACX ``fixations.csv``.

    Parameters
    ----------
    path : str or Path
    image_shape : (rows, cols), optional
        Size of the image (from its DICOM); default: the largest displayed region's extent.

    Raises
    ------
    FormatError
        Missing columns, ragged rows, non-numbers, or a fixation that ends before it starts
        (naming file and line).
    """
    p = Path(path)
    head, body = read_table(p, FIXATION_COLUMNS)
    cols = {
        c: column_float(
            p, head, body, c, allow_empty=c in ("pupil_area_normalized", "window_width", "window_level")
        )
        for c in FIXATION_COLUMNS
    }
    on = cols["timestamp_start_fixation"] * 1000.0
    off = cols["timestamp_end_fixation"] * 1000.0
    bad = off < on
    if bad.any():
        raise FormatError("fixation ends before it starts", path=p, line=int(np.argmax(bad)) + 2)
    views, idx = _views_from_rows(p, on, cols, image_shape)
    fx = Fixations(
        onset_ms=on, offset_ms=off, duration_ms=off - on, x=cols["x_position"], y=cols["y_position"]
    )
    return ReflacxFixations(
        fx,
        cols["pupil_area_normalized"],
        cols["angular_resolution_x_pixels_per_degree"],
        cols["angular_resolution_y_pixels_per_degree"],
        views,
        idx,
    )


def write_reflacx_gaze(
    path: str | Path,
    samples: Samples,
    *,
    views: Sequence[View],
    view_index: ArrayLike,
    ppd_x: ArrayLike | float,
    ppd_y: ArrayLike | float,
) -> None:
    """Write samples (image pixels, ms) as a REFLACX ``gaze.csv``; invalid samples get empty positions."""
    n = len(samples)
    p = np.full(n, np.nan) if samples.pupil is None else samples.pupil
    cols = [samples.t_ms / 1000.0, samples.x, samples.y, p]
    write_table(path, GAZE_COLUMNS, [*cols, *_view_columns(n, views, view_index, ppd_x, ppd_y)], missing="")


def read_reflacx_gaze(path: str | Path, *, image_shape: tuple[int, int] | None = None) -> ReflacxGaze:
    """Read a REFLACX ``gaze.csv`` (empty or ``n/a`` positions are invalid samples)."""
    p = Path(path)
    head, body = read_table(p, GAZE_COLUMNS)
    empty_ok = ("x_position", "y_position", "pupil_area_normalized", "window_width", "window_level")
    cols = {c: column_float(p, head, body, c, allow_empty=c in empty_ok) for c in GAZE_COLUMNS}
    t = cols["timestamp_sample"] * 1000.0
    try:
        s = Samples.from_arrays(
            t, cols["x_position"], cols["y_position"], pupil=cols["pupil_area_normalized"]
        )
    except InvalidSamplesError as exc:
        raise FormatError(str(exc), path=p, line=None if exc.index is None else exc.index + 2) from exc
    views, idx = _views_from_rows(p, t, cols, image_shape)
    return ReflacxGaze(
        s,
        cols["angular_resolution_x_pixels_per_degree"],
        cols["angular_resolution_y_pixels_per_degree"],
        views,
        idx,
    )


def write_reflacx_transcription(path: str | Path, words: Sequence[Word]) -> None:
    """Write ``timestamps_transcription.csv`` (times in seconds)."""
    write_table(
        path,
        TRANSCRIPTION_COLUMNS,
        [[w.word for w in words], [w.start_ms / 1000.0 for w in words], [w.end_ms / 1000.0 for w in words]],
    )


def read_reflacx_transcription(path: str | Path) -> list[Word]:
    """Read ``timestamps_transcription.csv`` into words with ms time spans."""
    p = Path(path)
    head, body = read_table(p, TRANSCRIPTION_COLUMNS)
    t0 = column_float(p, head, body, "timestamp_start_word")
    t1 = column_float(p, head, body, "timestamp_end_word")
    j = head.index("word")
    out = []
    for i, r in enumerate(body):
        if t1[i] < t0[i]:
            raise FormatError("word ends before it starts", path=p, line=i + 2)
        out.append(Word(r[j], float(t0[i] * 1000.0), float(t1[i] * 1000.0)))
    return out

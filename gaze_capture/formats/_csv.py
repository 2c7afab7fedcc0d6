"""Small helpers shared by the CSV-based format readers (header checks, typed columns, line numbers)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import FormatError

__all__ = ["read_table", "column_float", "open_text", "write_table"]


def open_text(path: Path, mode: str = "r") -> io.TextIOBase:
    """Open a text file, transparently gzip-compressed when the name ends in ``.gz``."""
    if str(path).endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", newline="")  # noqa: SIM115


def read_table(
    path: str | Path,
    required: Sequence[str],
    *,
    delimiter: str = ",",
    header: bool = True,
    names: Sequence[str] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """Read a delimited text file; check ``required`` columns exist and every row has the header's width.

    Returns the header and the rows (strings). Row ``i`` is on file line ``i + 2`` (``i + 1`` without a
    header). Raises :class:`FormatError` naming the file and line.
    """
    p = Path(path)
    try:
        with open_text(p) as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as exc:
        raise FormatError(f"cannot read: {exc}", path=p) from exc
    if header:
        if not rows:
            raise FormatError("file is empty (no header)", path=p, line=1)
        head = [h.strip().lstrip("\ufeff") for h in rows[0]]
        body = rows[1:]
    else:
        head = list(names or [])
        body = rows
    missing = [c for c in required if c not in head]
    if missing:
        raise FormatError(f"missing column(s) {missing}; found {head}", path=p, line=1)
    first = 2 if header else 1
    for i, r in enumerate(body):
        if len(r) != len(head):
            raise FormatError(f"expected {len(head)} fields, found {len(r)}", path=p, line=i + first)
    return head, body


def column_float(
    path: str | Path,
    head: list[str],
    body: list[list[str]],
    name: str,
    *,
    header: bool = True,
    allow_empty: bool = False,
) -> NDArray[np.float64]:
    """Column ``name`` as float64; empty cells become NaN when ``allow_empty``, else a FormatError."""
    j = head.index(name)
    out = np.empty(len(body))
    first = 2 if header else 1
    for i, r in enumerate(body):
        cell = r[j].strip()
        if cell == "" or cell.lower() in ("nan", "n/a", "na"):
            if not allow_empty:
                raise FormatError(f"missing value {cell!r} in column {name!r}", path=path, line=i + first)
            out[i] = np.nan
            continue
        try:
            out[i] = float(cell)
        except ValueError:
            raise FormatError(
                f"column {name!r}: {cell!r} is not a number", path=path, line=i + first
            ) from None
    return out


def write_table(
    path: str | Path,
    header: Sequence[str],
    columns: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    write_header: bool = True,
    missing: str = "n/a",
) -> None:
    """Write equal-length columns as a delimited text file (gzip when the name ends in ``.gz``).

    NaN is written as ``missing`` (BIDS writes ``n/a``; REFLACX leaves the cell empty).
    """
    p = Path(path)
    with open_text(p, "w") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        if write_header:
            w.writerow(header)
        for row in zip(*columns, strict=True):
            w.writerow([missing if isinstance(v, float) and np.isnan(v) else _fmt(v) for v in row])


def _fmt(v: object) -> object:
    if isinstance(v, float | np.floating):
        return repr(float(v))
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    return v

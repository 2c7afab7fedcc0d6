"""Replay of recorded files as a device: REFLACX ``gaze.csv``, BIDS physio (the project's own recordings),
Lund 2013 CSVs, and EGD-CXR fixation exports (one sample per fixation record)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..samples import Samples
from .base import GazeDevice, register_device

__all__ = ["ReplayDevice", "load_recording"]

FORMATS = ("reflacx_gaze", "bids", "lund", "egdcxr")


def load_recording(path: str | Path, fmt: str | None = None) -> Samples:
    """Samples of a recorded file; ``fmt`` is guessed from the name when omitted.

    Guesses: ``*_physio.tsv.gz`` BIDS, ``gaze.csv`` REFLACX, a header with ``FPOGX`` EGD-CXR, a header
    starting ``t_us`` Lund.
    """
    p = Path(path)
    if fmt is None:
        if p.name.endswith("_physio.tsv.gz") or p.name.endswith("_physio.tsv"):
            fmt = "bids"
        else:
            try:
                head = p.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
            except OSError as exc:
                raise FormatError(f"cannot read: {exc}", path=p) from exc
            if head.startswith("timestamp_sample"):
                fmt = "reflacx_gaze"
            elif "FPOGX" in head:
                fmt = "egdcxr"
            elif head.startswith("t_us"):
                fmt = "lund"
            else:
                raise FormatError(
                    f"cannot tell the format from the header; pass one of {FORMATS}", path=p, line=1
                )
    if fmt == "bids":
        from ..formats.bids import read_bids_physio

        return read_bids_physio(p)[0]
    if fmt == "reflacx_gaze":
        from ..formats.reflacx import read_reflacx_gaze

        return read_reflacx_gaze(p).samples
    if fmt == "lund":
        from ..formats.lund import read_lund_csv

        return read_lund_csv(p)[0]
    if fmt == "egdcxr":
        from ..formats.egdcxr import read_egdcxr_fixations

        parts = [f.fixations for f in read_egdcxr_fixations(p).values()]
        t = np.concatenate([f.onset_ms for f in parts])
        order = np.argsort(t, kind="stable")
        return Samples.from_arrays(
            t[order], np.concatenate([f.x for f in parts])[order], np.concatenate([f.y for f in parts])[order]
        )
    raise FormatError(f"unknown replay format {fmt!r}; one of {FORMATS}", path=p)


@register_device("replay")
class ReplayDevice(GazeDevice):
    """Streams a recorded file in batches of ``batch_ms`` of device time.

    Parameters
    ----------
    path : str or Path
    fmt : str, optional
        One of ``reflacx_gaze``, ``bids``, ``lund``, ``egdcxr`` (guessed when omitted).
    batch_ms : float
    """

    def __init__(self, *, path: str | Path, fmt: str | None = None, batch_ms: float = 100.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.fmt = fmt
        self.batch_ms = float(batch_ms)
        self._data: Samples | None = None
        self._pos = 0

    def _connect(self) -> None:
        self._data = load_recording(self.path, self.fmt)
        self.info = {"vendor": "file", "model": str(self.path.name), "n_samples": len(self._data)}

    @property
    def exhausted(self) -> bool:
        """Whether every sample has been read."""
        return self._data is not None and self._pos >= len(self._data)

    def _read(self, timeout_s: float) -> Samples | None:
        data = self._data
        assert data is not None
        if self._pos >= len(data):
            return None
        horizon = float(data.t_ms[self._pos]) + self.batch_ms - 1e-9
        end = int(np.searchsorted(data.t_ms, horizon, side="right"))
        keep = np.zeros(len(data), bool)
        keep[self._pos : end] = True
        self._pos = end
        return data.mask(keep)

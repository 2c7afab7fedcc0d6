"""File formats: REFLACX, EGD-CXR (Gazepoint), BIDS eye tracking, and the Lund 2013 labelled CSVs."""

from .bids import read_bids_physio, sidecar_path, write_bids_physio
from .egdcxr import (
    EGD_COLUMNS,
    EgdFixations,
    read_egdcxr_fixations,
    read_egdcxr_transcript,
    write_egdcxr_fixations,
    write_egdcxr_transcript,
)
from .lund import LUND_GEOMETRY, LUND_RATE_HZ, LundRecording, lund_recordings, read_lund_csv
from .reflacx import (
    FIXATION_COLUMNS,
    GAZE_COLUMNS,
    TRANSCRIPTION_COLUMNS,
    ReflacxFixations,
    ReflacxGaze,
    Word,
    read_reflacx_fixations,
    read_reflacx_gaze,
    read_reflacx_transcription,
    write_reflacx_fixations,
    write_reflacx_gaze,
    write_reflacx_transcription,
)

__all__ = [
    "read_lund_csv",
    "lund_recordings",
    "LundRecording",
    "LUND_GEOMETRY",
    "LUND_RATE_HZ",
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
    "EGD_COLUMNS",
    "EgdFixations",
    "read_egdcxr_fixations",
    "write_egdcxr_fixations",
    "read_egdcxr_transcript",
    "write_egdcxr_transcript",
    "write_bids_physio",
    "read_bids_physio",
    "sidecar_path",
]

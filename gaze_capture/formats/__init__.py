"""File formats: REFLACX, EGD-CXR (Gazepoint), BIDS eye tracking, and the Lund 2013 labelled CSVs."""

from .lund import LUND_GEOMETRY, LUND_RATE_HZ, LundRecording, lund_recordings, read_lund_csv

__all__ = ["read_lund_csv", "lund_recordings", "LundRecording", "LUND_GEOMETRY", "LUND_RATE_HZ"]

"""Downstream protocols (classification linear probe and fine-tuning, segmentation) and the readers of
NIH ChestX-ray14, RSNA Pneumonia, SIIM-ACR Pneumothorax and the Hannover COVID-19 radiographs."""

from cogaze.downstream.protocols import Split, run_protocol, split_by_patient, subsample
from cogaze.downstream.readers import (
    NIH_LABELS,
    DownstreamItem,
    DownstreamSet,
    phantom_set,
    read_hannover,
    read_nih,
    read_rsna,
    read_siim,
    rle_decode,
)

__all__ = [
    "NIH_LABELS",
    "DownstreamItem",
    "DownstreamSet",
    "Split",
    "open_downstream",
    "phantom_set",
    "read_hannover",
    "read_nih",
    "read_rsna",
    "read_siim",
    "rle_decode",
    "run_protocol",
    "split_by_patient",
    "subsample",
]


def open_downstream(spec: str) -> DownstreamSet:
    """``nih:CSV:IMAGES[:TEST_LIST]``, ``rsna:CSV:IMAGES``, ``siim:CSV:IMAGES`` or ``hannover:FOLDER``."""
    from cogaze.errors import DataError

    kind, _, rest = spec.partition(":")
    parts = rest.split(":")
    if kind == "nih" and len(parts) in (2, 3):
        return read_nih(*parts)
    if kind == "rsna" and len(parts) == 2:
        return read_rsna(*parts)
    if kind == "siim" and len(parts) == 2:
        return read_siim(*parts)
    if kind == "hannover" and len(parts) == 1:
        return read_hannover(parts[0])
    raise DataError(
        f"--data: unknown downstream source {spec!r}; use nih:CSV:IMAGES[:TEST_LIST], rsna:CSV:IMAGES, "
        "siim:CSV:IMAGES or hannover:FOLDER"
    )

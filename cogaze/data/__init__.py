"""Data for CoGaze: the sample type and dataset protocol, collation, and readers.

Readers: :class:`ExportDataset` (the platform's export, see ``EXPORT_FORMAT.md``), :class:`MimicCogazeDataset`
(MIMIC-CXR-JPG folder + CoGaze annotation JSON) and :class:`PhantomDataset` (SYNTHETIC phantoms).
"""

from cogaze.data.collate import Collator, IndexedDataset, pool_heatmap, resize_image
from cogaze.data.export import ExportDataset, context_text, write_export
from cogaze.data.mimic import MimicCogazeDataset
from cogaze.data.phantoms import PhantomDataset, make_phantom
from cogaze.data.sample import CogazeDataset, ListDataset, Sample, load_image_file

__all__ = [
    "Sample",
    "CogazeDataset",
    "ListDataset",
    "Collator",
    "IndexedDataset",
    "ExportDataset",
    "MimicCogazeDataset",
    "PhantomDataset",
    "make_phantom",
    "write_export",
    "context_text",
    "load_image_file",
    "pool_heatmap",
    "resize_image",
]


def open_dataset(spec: str, *, split: str | None = None, size: int = 128, seed: int = 0):
    """Open a dataset from a CLI spec: ``phantoms:N``, ``export:PATH`` or ``mimic:ROOT:ANNOTATION.json``."""
    from cogaze.errors import DataError

    kind, _, rest = spec.partition(":")
    if kind == "phantoms":
        try:
            n = int(rest or 64)
        except ValueError as exc:
            raise DataError(f"--data: phantoms:N needs an integer N, got {rest!r}") from exc
        ds = PhantomDataset(n, size=size, seed=seed, test_fraction=0.0)
        return ds
    if kind == "export":
        return ExportDataset(rest, split=split)
    if kind == "mimic":
        root, _, ann = rest.partition(":")
        return MimicCogazeDataset(root, ann, split=split or "train")
    raise DataError(f"--data: unknown source {spec!r}; use phantoms:N, export:PATH or mimic:ROOT:ANNOTATION")

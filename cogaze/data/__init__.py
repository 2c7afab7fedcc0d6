"""Data for CoGaze: the sample type and dataset protocol, collation, and readers.

Readers: :class:`ExportDataset` (the platform's export, see ``EXPORT_FORMAT.md``), :class:`MimicCogazeDataset`
(MIMIC-CXR-JPG folder + this project's annotation JSON), :class:`ReferenceAnnotationDataset` (MIMIC-CXR-JPG
+ the annotation JSON released with the CoGaze paper) and :class:`PhantomDataset` (SYNTHETIC phantoms).
"""

from cogaze.data.collate import Collator, IndexedDataset, pool_heatmap, resize_image
from cogaze.data.export import ExportDataset, context_text, write_export
from cogaze.data.mimic import MimicCogazeDataset
from cogaze.data.phantoms import PhantomDataset, make_phantom
from cogaze.data.reference import ReferenceAnnotationDataset
from cogaze.data.sample import CogazeDataset, ListDataset, Sample, load_image_file

__all__ = [
    "Sample",
    "CogazeDataset",
    "ListDataset",
    "Collator",
    "IndexedDataset",
    "ExportDataset",
    "MimicCogazeDataset",
    "ReferenceAnnotationDataset",
    "PhantomDataset",
    "make_phantom",
    "write_export",
    "context_text",
    "load_image_file",
    "pool_heatmap",
    "resize_image",
    "open_dataset",
]


def open_dataset(spec: str, *, split: str | None = None, size: int = 128, seed: int = 0):
    """Open a dataset from a CLI spec: ``phantoms:N``, ``export:PATH``, ``mimic:ROOT:ANNOTATION.json`` or
    ``reference:IMAGES_ROOT:ANNOTATION.json[:GAZE_ROOT]`` (the paper's annotation JSON)."""
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
    if kind == "reference":
        parts = rest.split(":")
        if len(parts) not in (2, 3):
            raise DataError(
                f"--data: expected reference:IMAGES_ROOT:ANNOTATION.json[:GAZE_ROOT], got {spec!r}"
            )
        gaze = parts[2] if len(parts) == 3 else None
        return ReferenceAnnotationDataset(parts[0], parts[1], gaze_root=gaze, split=split or "train")
    raise DataError(
        f"--data: unknown source {spec!r}; use phantoms:N, export:PATH, mimic:ROOT:ANNOTATION or "
        "reference:IMAGES_ROOT:ANNOTATION[:GAZE_ROOT]"
    )

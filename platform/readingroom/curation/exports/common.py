"""Helpers shared by the exporters: the output folder, the items of a version with their images."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.core.files import media_path
from readingroom.curation.models import DatasetVersion
from readingroom.gaze.models import GazeAnalysis
from readingroom.gaze.prior_scale import prior_matches
from readingroom.studies.derivatives import image_display_png
from readingroom.studies.models import Image

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def output_folder(root: Path | str) -> Path:
    """The export folder: created, and refused where it exists and is not empty."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise Conflict(f"{root}: the export folder exists and is not empty")
    root.mkdir(parents=True, exist_ok=True)
    return root


def version_items(version: DatasetVersion) -> Iterator[tuple[dict, Image]]:
    """The manifest items of a frozen version with their images, in manifest order."""
    items = version.manifest["items"]
    images = Image.objects.select_related("study__patient").in_bulk([i["image_id"] for i in items])
    for item in items:
        image = images.get(item["image_id"])
        if image is None:
            raise InvalidInput(f"dataset version {version.pk}: image {item['image_id']} no longer exists")
        yield item, image


def copy_media(relative: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(media_path(relative), dest)


def copy_display(image: Image, dest: Path) -> None:
    """Copy the image's display PNG (encoded first where it was not yet)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(image_display_png(image), dest)


def item_prior(item: dict, image: Image) -> tuple[int, np.ndarray] | None:
    """The gaze prior of the item's latest gaze session on this image: (session id, float32 map summing to
    1), as stored (the image's shape reduced by the analysis's ``prior_downsample``)."""
    for session_id in reversed(item.get("gaze_sessions") or []):
        analysis = GazeAnalysis.objects.filter(session_id=session_id, image=image).first()
        if analysis is None or not analysis.prior_file or not media_path(analysis.prior_file).is_file():
            continue
        prior = np.load(media_path(analysis.prior_file)).astype(np.float32)
        if prior_matches(prior, (image.rows, image.columns), analysis.prior_downsample) and prior.sum() > 0:
            return session_id, prior / prior.sum()
    return None


def sentences(text: str) -> list[str]:
    """Split report text into sentences (at . ! ? followed by a capital or digit)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]

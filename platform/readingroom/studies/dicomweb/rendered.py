"""WADO-RS rendered resources (PS3.18 10.4.1.1.5): the display rendering of an instance (its VOI LUT or
window applied, MONOCHROME1 inverted) as ``image/png`` (the default) or ``image/jpeg``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from PIL import Image as PILImage

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.derivatives import image_display_png
from readingroom.studies.dicomweb.negotiation import MediaRange, Offer, choose
from readingroom.studies.models import Image

PNG, JPEG = Offer("image/png"), Offer("image/jpeg")
DEFAULT_JPEG_QUALITY = 90


def rendered_quality(params: Iterable[tuple[str, list[str]]]) -> int:
    """The ``quality`` parameter (1-100, JPEG only); :class:`InvalidInput` for any other but ``accept``."""
    quality = DEFAULT_JPEG_QUALITY
    for name, values in params:
        if name == "accept":
            continue
        if name != "quality":
            raise InvalidInput(
                f"rendered: the parameter {name[:64]!r} is not supported (only quality and accept)"
            )
        if (
            len(values) != 1
            or not re.fullmatch(r"[0-9]{1,3}", values[0], re.ASCII)
            or not 1 <= int(values[0]) <= 100
        ):
            raise InvalidInput("rendered: quality must be one integer from 1 to 100")
        quality = int(values[0])
    return quality


def negotiate_rendered(ranges: list[MediaRange]) -> Offer:
    return choose(ranges, [PNG, JPEG], multipart=False, what="the rendered image")


def rendered_bytes(image: Image, offer: Offer, *, quality: int) -> bytes:
    """The display rendering of ``image`` encoded as ``offer`` asks."""
    path = image_display_png(image)
    if offer == PNG:
        return path.read_bytes()
    out = io.BytesIO()
    with PILImage.open(path) as png:
        png.convert("L" if png.mode in ("L", "I", "I;16") else "RGB").save(
            out, format="JPEG", quality=quality
        )
    return out.getvalue()

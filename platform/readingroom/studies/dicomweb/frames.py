"""WADO-RS frames (PS3.18 10.4.1.1.3): the frame list, the transfer syntaxes offered, and frame encoding.

Offered, in this order of preference, where the instance's pixel format allows:

========================  ======================  ===========================================================
part media type           transfer syntax         for
========================  ======================  ===========================================================
application/octet-stream  1.2.840.10008.1.2.1     every instance (uncompressed little-endian stored values)
image/jpeg                1.2.840.10008.1.2.4.50  grayscale, unsigned, BitsStored <= 8 (JPEG baseline, lossy)
image/jls                 1.2.840.10008.1.2.4.80  grayscale, BitsStored 2-16 (JPEG-LS lossless, pyjpegls)
image/jp2                 1.2.840.10008.1.2.4.90  grayscale, BitsStored 1-16 (JPEG 2000 lossless, openjpeg)
========================  ======================  ===========================================================

A frame already stored in the requested transfer syntax is sent as stored (no decoding, no loss).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import numpy as np
import pydicom
from PIL import Image as PILImage
from pydicom.encaps import generate_frames
from pydicom.pixels.encoders import JPEG2000LosslessEncoder, JPEGLSLosslessEncoder
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGBaseline8Bit, JPEGLSLossless

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.core.files import media_path
from readingroom.studies.dicomweb.instances import frame_count, frame_pixels, stored_transfer_syntax
from readingroom.studies.dicomweb.negotiation import MediaRange, Offer, choose
from readingroom.studies.models import Image

# Distinct frames one request may ask for: bounds the work and the response of one request.
MAX_FRAMES_PER_REQUEST = 1000
_NUMBER = re.compile(r"[1-9][0-9]{0,8}", re.ASCII)

UNCOMPRESSED = Offer("application/octet-stream", ExplicitVRLittleEndian)
JPEG = Offer("image/jpeg", JPEGBaseline8Bit)
JPEG_LS = Offer("image/jls", JPEGLSLossless)
JPEG_2000 = Offer("image/jp2", JPEG2000Lossless)
ALL_OFFERS = (UNCOMPRESSED, JPEG, JPEG_LS, JPEG_2000)


def parse_frame_list(text: str) -> list[int]:
    """The distinct frame numbers of a ``frames/{list}`` path segment, in the order first given.

    :class:`InvalidInput` names an item that is not a positive ASCII integer, and a list of more than
    :data:`MAX_FRAMES_PER_REQUEST` distinct frames.
    """
    numbers: dict[int, None] = {}
    for item in text.split(","):
        if not _NUMBER.fullmatch(item):
            raise InvalidInput(f"frame list {text[:80]!r}: {item[:20]!r} is not a frame number (1, 2, ...)")
        numbers[int(item)] = None
        if len(numbers) > MAX_FRAMES_PER_REQUEST:
            raise InvalidInput(f"frame list: at most {MAX_FRAMES_PER_REQUEST} distinct frames per request")
    return list(numbers)


def check_frames_exist(numbers: list[int], header: pydicom.Dataset) -> None:
    count = frame_count(header)
    beyond = [n for n in numbers if n > count]
    if beyond:
        raise NotFound(f"frame {beyond[0]} does not exist: the instance has {count} frame(s)")


def _grayscale(header: pydicom.Dataset) -> bool:
    return int(header.get("SamplesPerPixel") or 1) == 1


def offers_for(header: pydicom.Dataset) -> list[Offer]:
    """What the frames of an instance with ``header`` can be sent as, best first."""
    bits = int(header.get("BitsStored") or header.get("BitsAllocated") or 16)
    signed = int(header.get("PixelRepresentation") or 0) == 1
    offers = [UNCOMPRESSED]
    if _grayscale(header) and not signed and bits <= 8:
        offers.append(JPEG)
    if _grayscale(header) and 2 <= bits <= 16 and JPEGLSLosslessEncoder.is_available:
        offers.append(JPEG_LS)
    if _grayscale(header) and bits <= 16 and JPEG2000LosslessEncoder.is_available:
        offers.append(JPEG_2000)
    stored = stored_transfer_syntax(header)
    if stored and all(o.transfer_syntax != stored for o in offers):
        offers.extend(o for o in ALL_OFFERS if o.transfer_syntax == stored)
    return offers


def negotiate_frames(ranges: list[MediaRange], header: pydicom.Dataset) -> Offer:
    return choose(ranges, offers_for(header), multipart=True, what="the frames of this instance")


def _stored_frames(image: Image) -> Iterator[bytes]:
    ds = pydicom.dcmread(media_path(image.dicom_file))
    return generate_frames(ds.PixelData, number_of_frames=frame_count(ds))


def _encode(pixels: np.ndarray, header: pydicom.Dataset, offer: Offer) -> bytes:
    if offer == UNCOMPRESSED:
        return np.ascontiguousarray(pixels, dtype=pixels.dtype.newbyteorder("<")).tobytes()
    if offer == JPEG:
        out = io.BytesIO()
        PILImage.fromarray(pixels.astype(np.uint8)).save(out, format="JPEG", quality=95)
        return out.getvalue()
    bits_stored = int(header.get("BitsStored") or pixels.dtype.itemsize * 8)
    encoder = JPEGLSLosslessEncoder if offer == JPEG_LS else JPEG2000LosslessEncoder
    return bytes(
        encoder.encode(
            pixels,
            rows=pixels.shape[0],
            columns=pixels.shape[1],
            samples_per_pixel=1,
            bits_allocated=pixels.dtype.itemsize * 8,
            bits_stored=bits_stored,
            pixel_representation=int(header.get("PixelRepresentation") or 0),
            photometric_interpretation=str(header.get("PhotometricInterpretation") or "MONOCHROME2"),
            number_of_frames=1,
        )
    )


def encoded_frames(
    image: Image, header: pydicom.Dataset, numbers: list[int], offer: Offer
) -> Iterator[tuple[str, bytes]]:
    """``(part content type, frame bytes)`` for each frame of ``numbers``, produced one at a time."""
    content_type = f"{offer.media_type}; transfer-syntax={offer.transfer_syntax}"
    if image.dicom_file and stored_transfer_syntax(header) == offer.transfer_syntax and offer != UNCOMPRESSED:
        wanted = set(numbers)
        stored = {n: f for n, f in enumerate(_stored_frames(image), start=1) if n in wanted}
        for number in numbers:
            yield content_type, stored[number]
        return
    for number in numbers:
        yield content_type, _encode(frame_pixels(image, header, number), header, offer)

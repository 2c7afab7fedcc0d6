"""WADO-RS retrieve of whole instances (PS3.18 10.4.1.1.1): ``application/dicom`` parts in the transfer
syntax asked for.

Offered: Explicit VR Little Endian (the default when no ``transfer-syntax`` is given), the syntax the
instance is stored in (``transfer-syntax=*`` sends it as stored), and JPEG-LS lossless and JPEG 2000
lossless where the encoders are installed and the pixel format allows them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import pydicom
from pydicom.uid import ExplicitVRLittleEndian

from readingroom.core.files import media_path
from readingroom.studies.dicomweb.frames import JPEG_2000, JPEG_LS, offers_for
from readingroom.studies.dicomweb.instances import instance_file, stored_transfer_syntax
from readingroom.studies.dicomweb.negotiation import MediaRange, Offer, choose
from readingroom.studies.models import Image

DICOM = "application/dicom"


def _stored_syntax(header: pydicom.Dataset) -> str:
    # Bitmap instances are built in Explicit VR Little Endian.
    return stored_transfer_syntax(header) or ExplicitVRLittleEndian


def negotiate_instances(ranges: list[MediaRange], instances: list[tuple[Image, pydicom.Dataset]]) -> Offer:
    """One transfer syntax for all ``instances``: those every instance can be sent in, or as stored (``*``)."""
    common = [Offer(DICOM, ExplicitVRLittleEndian)]
    for lossless in (JPEG_LS, JPEG_2000):
        if all(lossless in offers_for(header) for _, header in instances):
            common.append(Offer(DICOM, lossless.transfer_syntax))
    stored = {_stored_syntax(header) for image, header in instances}
    as_stored = Offer(DICOM, "*")
    if len(stored) == 1:
        only = Offer(DICOM, stored.pop())
        common += [only] if only not in common else []
        as_stored = only
    return choose(ranges, common, multipart=True, what="these instances", any_syntax=as_stored)


def _encoded(image: Image, header: pydicom.Dataset, syntax: str) -> bytes:
    if syntax in ("*", _stored_syntax(header)) and image.dicom_file:
        return media_path(image.dicom_file).read_bytes()
    ds = instance_file(image)
    if syntax == ExplicitVRLittleEndian:
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    else:
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress()
        ds.compress(syntax)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def encoded_instances(
    instances: Iterable[tuple[Image, pydicom.Dataset]], offer: Offer
) -> Iterator[tuple[str, bytes]]:
    """``(part content type, DICOM file bytes)`` per instance, produced one at a time."""
    for image, header in instances:
        syntax = offer.transfer_syntax if offer.transfer_syntax != "*" else _stored_syntax(header)
        yield f"{DICOM}; transfer-syntax={syntax}", _encoded(image, header, syntax)

"""DICOMweb response bodies: DICOM JSON arrays, streamed ``multipart/related`` bodies, Warning headers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

import pydicom
from asgiref.sync import sync_to_async
from django.http import HttpResponse, StreamingHttpResponse

DICOM_JSON = "application/dicom+json"
# A year: frames and instances never change under their SOP Instance UID (PS3.18 allows caching them).
IMMUTABLE = "private, max-age=31536000, immutable"
_END = object()


def dicom_json(datasets: Iterable[pydicom.Dataset], *, warnings: Iterable[str] = ()) -> HttpResponse:
    """A DICOM JSON array (PS3.18 F.2) of ``datasets``, attributes in ascending tag order."""
    body = [dict(sorted(ds.to_json_dict().items())) for ds in datasets]
    response = HttpResponse(json.dumps(body), content_type=DICOM_JSON)
    add_warnings(response, warnings)
    return response


def add_warnings(response: HttpResponse, warnings: Iterable[str]) -> None:
    """Set the ``Warning`` header (RFC 7234 5.5, code 299 as PS3.18 8.3.4 uses it), one value per text."""
    texts = [text.replace('"', "'") for text in warnings]
    if texts:
        response["Warning"] = ", ".join(f'299 readingroom "{text}"' for text in texts)


class _Stream(StreamingHttpResponse):
    """A streamed response over a synchronous iterator that an ASGI server also receives chunk by chunk.

    Django's own streaming response collects a synchronous iterator into a list before sending it under
    ASGI; this one pulls one chunk at a time in a worker thread, so at most one part is held in memory.
    """

    async def __aiter__(self):
        iterator = iter(self.streaming_content)
        while True:
            chunk = await sync_to_async(next, thread_sensitive=False)(iterator, _END)
            if chunk is _END:
                return
            yield chunk


def multipart(
    parts: Iterable[tuple[str, bytes]], part_type: str, *, cache: str = ""
) -> StreamingHttpResponse:
    """A streamed ``multipart/related`` response (RFC 2387) of ``(content type, body)`` parts.

    ``parts`` is consumed lazily, one part at a time, while the response is sent.
    """
    boundary = uuid.uuid4().hex

    def body() -> Iterator[bytes]:
        for content_type, data in parts:
            yield f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode()
            yield data
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    response = _Stream(body())
    response["Content-Type"] = f'multipart/related; type="{part_type}"; boundary={boundary}'
    if cache:
        response["Cache-Control"] = cache
    response["Vary"] = "Accept"
    return response

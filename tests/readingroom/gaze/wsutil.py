"""Helpers for the gaze WebSocket tests: a reader's cookie headers, batches, a connected communicator."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from channels.testing import WebsocketCommunicator
from django.test import Client

from readingroom.asgi import application


def cookie_headers(user, origin: bytes = b"http://localhost", host: bytes = b"localhost"):
    """Headers of a browser page of this site logged in as ``user``."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", origin), (b"host", host)]


def batch(seq: int, t0: float, n: int = 50, **extra) -> dict:
    t = (t0 + np.arange(n) * 4.0).tolist()
    return {"type": "gaze_batch", "seq": seq, "device": "test",
            "samples": {"t": t, "x": [100.0] * n, "y": [50.0] * n}, **extra}  # fmt: skip


async def connect(path: str, headers) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def reply_to(ws: WebsocketCommunicator, text: str) -> dict:
    """Send one text frame and return the JSON reply."""
    await ws.send_to(text_data=text)
    return json.loads(await ws.receive_from(timeout=10))


def run(coro):
    return asyncio.run(coro)

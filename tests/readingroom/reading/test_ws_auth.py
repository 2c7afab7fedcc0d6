"""Who may open the gaze WebSocket: a page of this very origin (scheme, host and port) or a trusted one, or a
bridge with the session's capture token and no Origin header."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from readingroom.asgi import application
from tests.readingroom.gaze.wsutil import cookie_headers, run

pytestmark = pytest.mark.django_db(transaction=True)


def _connects(path: str, headers) -> bool:
    async def attempt():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    return run(attempt())


@pytest.mark.parametrize(
    ("host", "origin", "allowed"),
    [
        (b"localhost:8000", b"http://localhost:8000", True),
        (b"LOCALHOST:8000", b"http://localhost:8000", True),
        (b"localhost", b"http://localhost:80", True),
        (b"[::1]:8000", b"http://[::1]:8000", True),
        (b"localhost:8000", b"http://localhost:9999", False),  # another server on the same host
        (b"localhost:8000", b"http://localhost", False),
        (b"localhost:8000", b"https://localhost:8000", False),
        (b"localhost:8000", b"http://evil.example:8000", False),
        (b"evil.example:8000", b"http://evil.example:8000", False),  # a host the server does not serve
        (b"localhost:8000", b"null", False),
        (b"localhost:8000", b"http://localhost:99999", False),
    ],
)
def test_cookie_socket_needs_its_own_origin_scheme_host_and_port(
    reading_session, reader, host, origin, allowed
):
    headers = cookie_headers(reader, origin=origin, host=host)
    assert _connects(f"/ws/gaze/{reading_session.pk}/", headers) is allowed


def test_trusted_origins_match_exactly_including_the_port(reading_session, reader, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://cxr.example.org", "https://*.reading.example.org:8443"]
    path = f"/ws/gaze/{reading_session.pk}/"

    def connects(origin: bytes) -> bool:
        return _connects(path, cookie_headers(reader, origin=origin, host=b"localhost:8000"))

    assert connects(b"https://cxr.example.org")
    assert connects(b"https://cxr.example.org:443")
    assert connects(b"https://a.reading.example.org:8443")
    assert not connects(b"https://cxr.example.org:8443")
    assert not connects(b"http://cxr.example.org")
    assert not connects(b"https://a.reading.example.org")
    assert not connects(b"https://reading.example.org.evil.example:8443")


def test_a_capture_token_does_not_excuse_a_foreign_origin(reading_session, reader):
    """A page on another site that knows a token must not ride on the reader's cookie either."""
    path = f"/ws/gaze/{reading_session.pk}/?token={reading_session.capture_token}"
    foreign = cookie_headers(reader, origin=b"http://evil.example", host=b"localhost")
    assert _connects(path, foreign) is False
    assert _connects(path, [(b"host", b"localhost")]) is True  # the bridge: no Origin, no cookie
    assert _connects(f"/ws/gaze/{reading_session.pk}/?token=wrong", foreign) is False

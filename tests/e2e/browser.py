"""Headless Chromium pages for the browser tests (Debian's chromium; Playwright never downloads one)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def chromium_page(*, width: int = 1400, height: int = 900, scale: float = 1.0, monkeypatch=None) -> Iterator:
    """A fresh profile's page at a viewport (CSS px) and device pixel ratio; collects console messages
    (`page.console_messages`) and requested URLs (`page.requested_urls`)."""
    if monkeypatch is not None:
        # Playwright's sync API runs an event loop in this thread; the test's ORM queries stay synchronous.
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, device_scale_factor=scale,
        )  # fmt: skip
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.console_messages = messages  # type: ignore[attr-defined]
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.requested_urls = requested  # type: ignore[attr-defined]
        refused: list[str] = []  # so that a console error about a failed load can name the URL
        page.on(
            "response",
            lambda r: refused.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None,
        )
        page.refused_responses = refused  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()


def login(page, url: str, username: str, password: str, path: str = "/") -> None:
    page.goto(url + path)
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def axe_violations(page) -> list[dict]:
    """Run axe-core (from frontend/node_modules) on the page; its violations, each with the nodes' targets."""
    if not AXE.exists():
        pytest.skip(f"no {AXE} (run npm ci in frontend/)")
    # evaluated through the DevTools protocol, which the page's Content-Security-Policy (no inline scripts)
    # does not govern; a <script> tag added to the page would be refused by it
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]} for v in result
    ]
